"""What a Prefect server needs before hosts run Retouch's deployments from work pools: the
pools themselves, and the automation that marks a flow run Crashed when its host died.

Idempotent: run it again to change a limit; what exists is updated, nothing is duplicated.

- Work pools (type `process`): `retouch-cpu` (batches, catalogs, uploads), `retouch-gpu` (the
  hosts that edit with the model in the run's own process) and `retouch-review` (review runs:
  they wait for a person, so they get a pool of their own and never hold an edit's slot).
  A pool's concurrency limit caps its runs across every host (None: as many as the workers
  take; each worker's own `--limit` caps it further).
- The automation `retouch: crashed flow runs`: a running flow beats every
  PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (`retouch serve` and the workers must set it);
  a run with no heartbeat and no end for `within_s` is set Crashed, which frees its
  deployment's concurrency slot at once instead of holding it for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

POOLS = ("retouch-cpu", "retouch-gpu", "retouch-review")
CRASH_AUTOMATION = "retouch: crashed flow runs"
HEARTBEAT_S = 30  # what the hosts should beat at (PREFECT_FLOWS_HEARTBEAT_FREQUENCY)
CRASH_AFTER_S = 90  # three missed beats


@dataclass(frozen=True)
class FleetChange:
    what: str
    how: str  # "created", "updated" or "kept"


def ensure_pools(client: Any, limits: dict[str, int | None]) -> list[FleetChange]:
    """Each of POOLS exists as a process pool, with the concurrency limit in `limits` (a pool
    not named there keeps its limit)."""
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate

    existing = {pool.name: pool for pool in client.read_work_pools()}
    changes = []
    for name in POOLS:
        pool = existing.get(name)
        if pool is None:
            client.create_work_pool(
                WorkPoolCreate(name=name, type="process", concurrency_limit=limits.get(name))
            )
            changes.append(FleetChange(f"work pool {name}", "created"))
        elif name in limits and pool.concurrency_limit != limits[name]:
            client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=limits[name]))
            changes.append(FleetChange(f"work pool {name}", "updated"))
        else:
            changes.append(FleetChange(f"work pool {name}", "kept"))
    return changes


def crash_automation(within_s: float = CRASH_AFTER_S) -> Any:
    """Prefect's heartbeat-based detection of crashed flow runs: no heartbeat, and no end, for
    `within_s` after a heartbeat: the run is set Crashed."""
    from prefect.automations import AutomationCore, ChangeFlowRunState, EventTrigger, Posture
    from prefect.client.schemas.objects import StateType
    from prefect.events.schemas.events import ResourceSpecification

    ends = {f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Cancelled", "Crashed")}
    return AutomationCore(
        name=CRASH_AUTOMATION,
        description="A flow run whose host stopped beating (killed, lost) is marked Crashed, "
        "freeing its concurrency slot (deployments/fleet.py).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *ends},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_s),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat from its host for {within_s:g} s: the host died or was cut off",
            )
        ],
    )


def ensure_crash_automation(client: Any, within_s: float = CRASH_AFTER_S) -> FleetChange:
    wanted = crash_automation(within_s)
    found = client.read_automations_by_name(CRASH_AUTOMATION)
    if not found:
        client.create_automation(wanted)
        return FleetChange(f"automation '{CRASH_AUTOMATION}' ({within_s:g} s)", "created")
    for extra in found[1:]:
        client.delete_automation(extra.id)
    if found[0].trigger.within == wanted.trigger.within and found[0].enabled:
        return FleetChange(f"automation '{CRASH_AUTOMATION}' ({within_s:g} s)", "kept")
    client.update_automation(found[0].id, wanted)
    return FleetChange(f"automation '{CRASH_AUTOMATION}' ({within_s:g} s)", "updated")
