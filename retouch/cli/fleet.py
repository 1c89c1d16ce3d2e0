"""`retouch fleet setup`: prepare a Prefect server for Retouch on several hosts."""

from __future__ import annotations

from typing import Annotated

import typer

from retouch.cli.common import app, out, require_server

fleet_app = typer.Typer(
    help="Several hosts on one Prefect server: work pools and crashed-run detection.",
    no_args_is_help=True,
)
app.add_typer(fleet_app, name="fleet")


@fleet_app.command("setup")
def fleet_setup(
    cpu_limit: Annotated[
        int | None, typer.Option("--cpu-limit", help="Runs at once in retouch-cpu, all hosts together.")
    ] = None,
    gpu_limit: Annotated[
        int | None, typer.Option("--gpu-limit", help="Runs at once in retouch-gpu (default: unlimited).")
    ] = None,
    crash_after: Annotated[
        float,
        typer.Option("--crash-after", help="Seconds without a heartbeat before a run is marked Crashed."),
    ] = 90,
) -> None:
    """Create (or update) the work pools retouch-cpu, retouch-gpu and retouch-review and the
    automation that marks a flow run Crashed when its host stops beating. Run it once per
    server, before `prefect --no-prompt deploy --all`; again to change a limit."""
    from prefect import get_client

    from deployments.fleet import HEARTBEAT_S, ensure_crash_automation, ensure_pools

    require_server("setting up the fleet")
    limits = {
        name: value
        for name, value in (("retouch-cpu", cpu_limit), ("retouch-gpu", gpu_limit))
        if value is not None
    }
    with get_client(sync_client=True) as client:
        changes = [*ensure_pools(client, limits), ensure_crash_automation(client, crash_after)]
    for change in changes:
        out.print(f"{change.how:8} {change.what}")
    out.print(
        f"hosts: PREFECT_FLOWS_HEARTBEAT_FREQUENCY={HEARTBEAT_S} (retouch serve sets it); then "
        "`prefect --no-prompt deploy --all` and `prefect worker start --pool retouch-cpu` "
        "(retouch-gpu on GPU hosts, retouch-review anywhere) on each host"
    )
