"""`retouch run` and `retouch edit`: a manifest or one image through the same Prefect flow."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from retouch.cli.common import (
    CliError,
    app,
    err,
    image_size,
    out,
    print_json,
    who,
)


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


def run_flow(call, total_hint: int | None = None):
    """Run a flow call on the Prefect API (embedded if none is configured) with a progress bar."""
    from retouch.prefect_api import prefect_api

    with prefect_api() as api:
        import flows.catalog  # noqa: F401  (slow imports before waiting for the server)
        import flows.deferred  # noqa: F401
        from flows.progress import progress_listener  # imports Prefect while the API boots

        api.ready()
        bar = progress_bar()
        if bar is None:
            return call()
        with bar:
            task_id = bar.add_task("edit", total=total_hint)

            def update(done: int, total: int) -> None:
                bar.update(task_id, completed=done, total=total)

            with progress_listener(update):
                return call()


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

        def call_deferred():
            from flows.deferred import run_deferred

            return run_deferred()

        results = [r.to_dict() for r in run_flow(call_deferred)]
        if as_json:
            for result in results:
                print_json(result)
        else:
            _summary(results, None)
        return
    if not manifest:
        raise CliError("missing MANIFEST (or --deferred)")
    from tasks.manifest import ManifestError, parse_manifest
    from tasks.storage import StorageError, check_writable, is_s3, read_bytes

    if not is_s3(manifest):
        manifest = str(Path(manifest).resolve())
    if not is_s3(out_dir):
        out_path = Path(out_dir).resolve()
        if out_path.exists() and not out_path.is_dir():
            raise CliError(f"--out {out_dir}: exists and is not a folder")
        out_dir = str(out_path)
    try:  # refuse an unreadable manifest or an unwritable --out before starting anything
        items = parse_manifest(read_bytes(manifest), manifest)
        check_writable(out_dir)
    except (ManifestError, StorageError) as exc:
        raise CliError(str(exc)) from None

    def call():
        from flows.catalog import catalog_refresh

        return catalog_refresh(manifest_uri=manifest, out_uri=out_dir, requested_by=who())

    results = [r.to_dict() for r in run_flow(call, total_hint=len(items))]
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
) -> None:
    """Edit one image through the same Prefect flow as a batch."""
    from config.contracts import Item
    from tasks.formats import EXTENSIONS, format_of_extension
    from tasks.storage import is_s3

    image_size(image)  # missing or non-image input: exit 2 before starting anything
    fmt = None
    if output:
        suffix = Path(output).suffix
        fmt = format_of_extension(suffix)
        if suffix and not fmt:
            known = ", ".join(sorted(EXTENSIONS.values()))
            raise CliError(f"-o {output}: unknown image extension {suffix.lower()!r} (use one of {known})")
    item = Item(
        id="edit",
        image=image if is_s3(image) else str(Path(image).resolve()),
        instruction=instruction,
        format=fmt,
        requested_by=who(),
    )
    # the flow writes into the data folder's content-addressed store (which the edit cache
    # points at); the picture is then copied to the target, atomically
    from config.settings import get_settings
    from tasks.storage import StorageError, check_writable, read_bytes, write_bytes

    store = str(get_settings().data_dir / "edits")
    try:
        check_writable(str(Path(output).resolve().parent if output else Path.cwd()))
        check_writable(store)
    except StorageError as exc:
        raise CliError(str(exc)) from None

    def call():
        from flows.edit import edit_batch

        return edit_batch(items=[item], out_dir=store)

    result = run_flow(call)[0].to_dict()
    if result.get("output"):
        suffix = Path(result["output"]).suffix
        target = Path(output) if output else Path(f"{Path(image).stem}-edited{suffix}")
        write_bytes(str(target), read_bytes(result["output"]))
        result["output"] = str(target.resolve())
    if as_json:
        print_json(result)
    elif result["status"] in ("published", "review"):
        out.print(
            f"{result['status']}: {result['output']} ({result['width']}x{result['height']},"
            f" {result.get('reason')})"
        )
    if result["status"] == "rejected":
        raise CliError(f"rejected: {result['error']}")
    if result["status"] == "failed":
        err.print(f"error: {result['error']}")
        raise typer.Exit(1)
