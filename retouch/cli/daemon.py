"""`retouch daemon`: the warm local process behind `retouch edit` and `retouch run`."""

from __future__ import annotations

import time

import typer

from retouch.cli.common import app, out

daemon_app = typer.Typer(
    help="The warm local daemon that `retouch edit` and `retouch run` start and use "
    "(RETOUCH_DAEMON_IDLE_SECONDS; 0: none).",
    no_args_is_help=True,
)
app.add_typer(daemon_app, name="daemon")


@daemon_app.command("status")
def daemon_status() -> None:
    """The daemons of this user: one per configuration, with what they run on."""
    from retouch import daemon

    found = daemon.daemons()
    if not found:
        out.print("no daemon runs")
    for path, health in found:
        if health is None:
            out.print(f"{path}: not answering (left by a daemon that died)")
            continue
        idle = "" if health["busy"] else f", exits after {health['idle_seconds']:g} s idle"
        out.print(
            f"{path}: pid {health['pid']}, up {time.time() - health['started']:.0f} s, "
            f"{health['jobs']} jobs, {health['busy']} running{idle}; Prefect API {health['prefect_api']}; "
            f"log: {daemon.log_path(path.stem)}"
        )


@daemon_app.command("stop")
def daemon_stop() -> None:
    """Stop every daemon of this user (each finishes the jobs it runs first)."""
    from retouch import daemon

    found = daemon.daemons()
    for path, health in found:
        if health is None:
            path.unlink(missing_ok=True)
        elif daemon.stop(path):
            out.print(f"stopping the daemon {health['pid']} ({path})")
    if not found:
        out.print("no daemon runs")
