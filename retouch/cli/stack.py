"""`retouch stack up|down|status`: the local stack that `make up` and `make down` run."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from retouch.cli.basics import CliError
from retouch.cli.common import REPO_ROOT, app, out
from retouch.cli.common import review_port as common_review_port

stack_app = typer.Typer(
    help="A local Prefect server (UI), the deployments, the review page and a GPU worker: "
    "`make up` / `make down`.",
    no_args_is_help=True,
)
app.add_typer(stack_app, name="stack")


def _weights_here() -> bool:
    from config.settings import get_settings
    from tasks.edit.qwen import ModelError, resolve_weights

    try:
        resolve_weights(get_settings().model)
    except (ModelError, ImportError):
        return False
    return True


def _wait_deployments(api_url: str, names: list[str], timeout: float, pid: int) -> list[str]:
    """The deployments of `names` not yet registered after `timeout` (empty: all served)."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tasks.infra.processes import alive

    deadline = time.monotonic() + timeout
    missing = list(names)
    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        while missing and time.monotonic() < deadline and alive(pid):
            for name in list(missing):
                try:
                    client.read_deployment_by_name(name)
                    missing.remove(name)
                except Exception:
                    pass
            time.sleep(0.5)
    return missing


@stack_app.command("up")
def stack_up(
    port: Annotated[int, typer.Option("--port", help="Port of the Prefect server and its UI.")] = 4200,
    review_port: Annotated[
        int | None,
        typer.Option(
            "--review-port", help="Port of the review page (default: RETOUCH_REVIEW_PAGE_URL's, 8765)."
        ),
    ] = None,
    api_port: Annotated[int, typer.Option("--api-port", help="Port of the HTTP API.")] = 8000,
) -> None:
    """Start the stack (what is already running is left alone); returns once it answers."""
    from config.settings import get_settings
    from flows.review import REVIEW_DEPLOYMENT
    from retouch import stack
    from retouch.runtime import pid_of, stack_dir
    from tasks.record.ledger.api import any_keys

    review_port = review_port or common_review_port()
    folder = stack_dir()
    api_url = f"http://127.0.0.1:{port}/api"
    gpu = _weights_here()
    settings = get_settings()
    keys = any_keys(settings.ledger_url)
    services = stack.services(api_url, port, review_port, api_port, gpu, keys, settings.upload_watch)
    for service in services:
        pid = pid_of(folder, service.name)
        if pid:
            out.print(f"{service.name}: already running (pid {pid})")
            continue
        pid = stack.start(service, folder, REPO_ROOT)
        log = folder / f"{service.name}.log"
        if service.name == "server":
            if not stack.wait_healthy(f"{api_url}/health", 180, pid):
                raise CliError(f"the Prefect server did not start: see {log}")
            (folder / "api-url").write_text(api_url)  # this checkout's commands now record there
        elif service.name == "serve":
            # one serve() call registers them all: the one Retouch itself calls stands for them
            missing = _wait_deployments(api_url, [REVIEW_DEPLOYMENT], 120, pid)
            if missing:
                raise CliError(f"retouch serve did not serve {', '.join(missing)}: see {log}")
        elif service.name == "review":
            if not stack.wait_healthy(f"http://127.0.0.1:{review_port}/static/review.css", 60, pid):
                raise CliError(f"the review page did not start: see {log}")
        elif service.name == "api":
            if not stack.wait_healthy(f"http://127.0.0.1:{api_port}/healthz", 120, pid):
                raise CliError(f"the HTTP API did not start: see {log}")
        out.print(f"{service.name}: started (pid {pid}, log {log})")
        if service.name.startswith("watch-"):
            out.print(f"  watching {service.argv[-1]} for uploads (the on-upload deployment edits them)")
    if not gpu:
        out.print("no model weights here: no GPU task worker (`retouch model info` says why)")
    else:
        out.print(
            "model edits of the stack's processes run in the GPU task worker; for your own `retouch run`"
            " and `retouch edit` too: RETOUCH_MODEL_WORKER=task-worker in .env"
        )
    token = "?token=<your review token>" if settings.review_token or settings.review_tokens else ""
    auth = "" if keys else " (no keys yet: no auth, loopback only; `retouch api-key create NAME`)"
    out.print(
        f"Prefect UI: http://127.0.0.1:{port}   review page: http://127.0.0.1:{review_port}/{token}\n"
        f"HTTP API and operator page: http://127.0.0.1:{api_port}/{auth}\n"
        f"retouch commands in this checkout record on that server; for the prefect CLI: "
        f"export PREFECT_API_URL={api_url}\n"
        "`retouch doctor` checks the set-up; `make down` stops it all"
    )


@stack_app.command("down")
def stack_down(
    grace: Annotated[
        float, typer.Option("--grace", help="Seconds between SIGTERM and SIGKILL (clients, then the server).")
    ] = 6.0,
) -> None:
    """Stop every process `up` started; returns once all of them have exited."""
    from retouch import stack
    from retouch.runtime import stack_dir

    started = time.monotonic()
    stopped = stack.stop_all(stack_dir(), grace)
    if not stopped:
        out.print("nothing was running")
    for name, pid, how in stopped:
        out.print(f"{name}: {how} (pid {pid})")
    (stack_dir() / "api-url").unlink(missing_ok=True)
    if stopped:
        out.print(
            f"all stopped in {time.monotonic() - started:.1f} s; "
            "retouch commands are back on their own embedded Prefect API"
        )


@stack_app.command("status")
def stack_status() -> None:
    """Which of the stack's processes run, and the Prefect API they record on."""
    from retouch import stack
    from retouch.runtime import pid_of, stack_dir

    folder = stack_dir()
    watchers = [name for name, _ in stack.recorded(folder) if name.startswith("watch-")]
    for name in [*(n for n in reversed(stack.ORDER) if n != "watch"), *watchers]:
        pid = pid_of(folder, name)
        out.print(f"{name}: {f'running (pid {pid})' if pid else 'not running'}")
    if pid_of(folder, "server") and (folder / "api-url").is_file():
        out.print(f"Prefect API: {(folder / 'api-url').read_text().strip()}")
