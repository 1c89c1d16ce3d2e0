"""Run a flow run that crashed once more: its host died (the heartbeat automation of `retouch
fleet setup` marked it Crashed) or its process did. Triggered by the run's
`prefect.flow-run.Crashed` event (prefect.yaml: `rerun-crashed`).

A re-run is the same deployment with the same parameters, tagged `rerun-of:<run id>`; it is
started once (the idempotency key is the crashed run's id) and a re-run that crashes too is
not re-run again. Retouch's flows are safe to run again: outputs are content-addressed, a
finished model edit is a cache hit, results.jsonl is rewritten whole, an upload's claim is a
lease. Review runs are never re-run (a crashed review is asked again by its batch's re-run).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

RERUN_TAG = "rerun-of:"
NEVER_RERUN = ("review-edit", "rerun-crashed")


def why_not_rerun(run: Any, deployment_name: str | None) -> str | None:
    """Why the crashed `run` is not to be run again (None: run it again)."""
    if not run.state or not run.state.is_crashed():
        return f"it is {run.state.name if run.state else 'without a state'}, not Crashed"
    if run.deployment_id is None or deployment_name is None:
        return "it was not started from a deployment"
    if deployment_name in NEVER_RERUN:
        return f"{deployment_name} runs are not re-run"
    earlier = next((tag for tag in run.tags if tag.startswith(RERUN_TAG)), None)
    if earlier:
        return f"it was itself the re-run of {earlier[len(RERUN_TAG) :]}: crashed twice, left for a person"
    return None


@flow(name="rerun-crashed")
def rerun_crashed(flow_run: str) -> str | None:
    """Start `flow_run` (an id, or the event's `prefect.flow-run.<id>`) again if it crashed;
    the new run's id, or None when it is not to be re-run (logged with why)."""
    logger = get_run_logger()
    run_id = UUID(flow_run.removeprefix("prefect.flow-run."))
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        deployment = client.read_deployment(run.deployment_id) if run.deployment_id else None
    why = why_not_rerun(run, deployment.name if deployment else None)
    if why:
        logger.warning("flow run %s (%s) is not re-run: %s", run.name, run_id, why)
        return None
    again = run_deployment(
        deployment.id,
        parameters=run.parameters,
        tags=[*run.tags, f"{RERUN_TAG}{run_id}"],
        idempotency_key=f"rerun-of-{run_id}",
        timeout=0,
    )
    logger.info("flow run %s crashed (%s): re-run as %s", run.name, run.state.message, again.name)
    return str(again.id)
