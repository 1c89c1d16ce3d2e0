"""`retouch run` and `retouch edit`: a manifest or one image through the same Prefect flow."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from retouch.cli.basics import CliError, print_json, who
from retouch.cli.common import app, err, out
from retouch.cli.edit_request import edit_params, report_edit


def progress_bar():
    """A rich progress bar on stderr when it is a terminal, else nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not err.is_terminal:
        return None
    return Progress(
        TextColumn("[bold]editing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def run_job(kind: str, params: dict[str, Any], total_hint: int | None = None) -> list[dict[str, Any]]:
    """Run a job (retouch/jobs.py) in the warm daemon, or in this process when the daemon is
    off (RETOUCH_DAEMON_IDLE_SECONDS=0) or cannot start; with a progress bar on a terminal."""
    from retouch import daemon
    from retouch.jobs import JobError

    bar = progress_bar()
    with bar if bar is not None else nullcontext():
        task_id = bar.add_task("edit", total=total_hint) if bar is not None else None

        def update(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task_id, completed=done, total=total)

        path = _daemon_socket()
        if path is not None:
            try:
                return daemon.submit(path, kind, params, update)
            except daemon.JobFailed as exc:
                if exc.code == 2:
                    raise CliError(str(exc)) from None
                err.print(f"error: {exc}")
                raise typer.Exit(1) from None
            except daemon.DaemonUnavailable as exc:
                err.print(f"warning: {exc}; running in this process")
        try:
            return _in_this_process(kind, params, update)
        except JobError as exc:
            raise CliError(str(exc)) from None


def _daemon_socket():
    """This configuration's daemon (started if needed), or None: in this process."""
    from retouch import daemon

    print_ = daemon.fingerprint()
    running = daemon.socket_path(print_)
    if daemon.health(running):  # started for exactly this configuration: the daemon is on
        return running
    from config.settings import get_settings  # only now: pydantic is a tenth of a warm command

    settings = get_settings()
    if settings.daemon_idle_seconds <= 0:
        return None
    try:
        return daemon.ensure_daemon(print_)
    except daemon.DaemonUnavailable as exc:
        err.print(f"warning: {exc}; running in this process")
        return None


def _in_this_process(kind: str, params: dict[str, Any], progress) -> list[dict[str, Any]]:
    """The job on the Prefect API of this command (embedded if none is configured)."""
    from retouch.prefect_api import prefect_api

    with prefect_api() as api:
        from retouch.jobs import execute, warm_up

        warm_up()  # the slow imports while the API boots
        api.ready()
        return execute(kind, params, progress)


def _summary(results: list[dict[str, Any]], out_dir: str | None) -> None:
    counts = Counter((r["status"], r.get("route") or "-") for r in results)
    table = Table(title=f"{len(results)} items", show_edge=False)
    for column in ("status", "route", "items"):
        table.add_column(column, justify="right" if column == "items" else "left")
    for (status, route_name), n in sorted(counts.items()):
        table.add_row(status, route_name, str(n))
    out.print(table)
    problems = [r for r in results if r["status"] in ("failed", "rejected")]
    for r in problems[:10]:
        out.print(f"  {r['status']:8} {r['id']}: {r.get('error')}")
    if len(problems) > 10:
        out.print(f"  ... and {len(problems) - 10} more in results.jsonl")
    if out_dir:
        out.print(f"results: {Path(out_dir, 'results.jsonl')}")
    waiting = [r for r in results if r["status"] == "review"]
    if waiting:
        out.print(_waiting_line(waiting))


def _waiting_line(waiting: list[dict[str, Any]]) -> str:
    """Where a person decides the items waiting for review (or how to get there)."""
    from config.settings import get_settings

    n = len(waiting)
    items = f"{n} item{'s' if n > 1 else ''} wait{'' if n > 1 else 's'} for review"
    if any(r.get("review") for r in waiting):  # review runs were started on a Prefect server
        return f"{items}: `retouch review list` or {get_settings().review_page_url}"
    return (
        f"{items} in review/ (no review-edit deployment on this Prefect server: `make up` or "
        "`retouch serve`, then run the batch again)"
    )


@app.command("run")
def run_cmd(
    manifest: Annotated[
        str | None,
        typer.Argument(help="CSV or JSONL manifest with id,image,instruction (a path or s3:// URI)."),
    ] = None,
    out_dir: Annotated[
        str, typer.Option("--out", help="Folder (or s3:// prefix) for edited images and results.jsonl.")
    ] = "retouch-out",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each result as a JSON line instead of the summary.")
    ] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="A marketplace preset (amazon-main, tmall-main, jd-main, shopee, xiaohongshu...) for "
            "the rows without a `preset` column; a row with no instruction gets the preset alone.",
        ),
    ] = None,
    stale_presets: Annotated[
        bool,
        typer.Option(
            "--stale-presets",
            help="Only the rows whose preset changed (another one, or a newer version) since their "
            "line in OUT/results.jsonl; their lines are replaced.",
        ),
    ] = False,
    deferred: Annotated[
        bool,
        typer.Option(
            "--deferred",
            help="Instead of a manifest, run the "
            "model edits the daily GPU budget deferred (each "
            "into its own batch's folder).",
        ),
    ] = False,
) -> None:
    """Edit every item of a manifest in one Prefect flow run; write OUT/results.jsonl."""
    if deferred:
        if manifest:
            raise CliError("give either MANIFEST or --deferred, not both")

        results = run_job("deferred", {})
        if as_json:
            for result in results:
                print_json(result)
        else:
            _summary(results, None)
        return
    if not manifest:
        raise CliError("missing MANIFEST (or --deferred)")
    from tasks.infra.storage import is_s3

    if not is_s3(manifest):
        manifest = str(Path(manifest).resolve())
    if not is_s3(out_dir):
        out_path = Path(out_dir).resolve()
        if out_path.exists() and not out_path.is_dir():
            raise CliError(f"--out {out_dir}: exists and is not a folder")
        out_dir = str(out_path)
    params = {
        "manifest": manifest,
        "out_dir": out_dir,
        "requested_by": who(),
        "preset": preset,
        "stale_presets": stale_presets,
    }
    results = run_job("run", params)
    if as_json:
        for result in results:
            print_json(result)
    else:
        _summary(results, out_dir)


@app.command("edit")
def edit_cmd(
    image: Annotated[str, typer.Argument(help="The image to edit (path or s3:// URI).")],
    instruction: Annotated[str, typer.Argument(help="What to change, e.g. 'crop to 1:1'.")],
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--out",
            help="Where to write the edited "
            "image (default: IMAGE-edited.EXT in the current folder); its extension "
            "picks the format.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    refs: Annotated[
        list[str] | None,
        typer.Option(
            "--ref",
            help="A reference picture (repeat for several): pictures 2, 3... of a multi-image "
            "edit, e.g. '把图2的包放到图1的桌子上'.",
        ),
    ] = None,
) -> None:
    """Edit one image: route, edit, check and publish it as one recorded Prefect task run."""
    (result,) = run_job("edit", edit_params(image, instruction, output, refs or []))
    code = report_edit(result, as_json)
    if code:
        raise typer.Exit(code)
