"""`retouch`: the command line (a contract: scripts and tests outside the project call it).

Exit status: 0 on success, 2 on bad usage or input (one-line error), 1 when something broke.
Tracebacks only with --debug. Heavy imports (Prefect, OpenCV) happen inside the commands that
need them, so that `retouch route` and `--help` stay fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from retouch.runtime import tune_allocator

app = typer.Typer(
    help="Edit product images from natural-language instructions (zh/en), the cheapest safe way, on Prefect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}
REPO_ROOT = Path(__file__).resolve().parents[1]


class CliError(Exception):
    """Bad usage or input: printed as one line, exit status 2."""


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and Prefect's logs.")] = False,
) -> None:
    _state["debug"] = debug
    if not debug:  # keep Prefect's per-task chatter out of the terminal (it still reaches the UI)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


def _who() -> str:
    """Who runs this command, for the audit log: `cli:<login name>`."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return f"cli:uid-{os.getuid()}"


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------
# route


def _image_size(path: str | None) -> tuple[int, int] | None:
    if not path:
        return None
    from config.settings import get_settings
    from tasks.images import ImageError, open_header
    from tasks.storage import StorageError, read_bytes

    settings = get_settings()
    try:
        return open_header(read_bytes(path, settings.max_file_bytes), settings.max_pixels).size
    except (ImageError, StorageError) as exc:
        raise CliError(f"{path}: {exc}") from None


def _route_one(instruction: str | None, image: str | None) -> dict[str, Any]:
    from config.settings import get_settings
    from routing import route

    plan = route(instruction, image_size=_image_size(image), limits=get_settings().limits)
    return {"instruction": instruction, **plan.to_dict()}


@app.command("route")
def route_cmd(
    instruction: Annotated[str | None, typer.Argument(help="The edit, e.g. '裁剪为1:1'.")] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image", help="Image the edit is for: its size is used to refuse impossible parameters."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help="Route every line {id, instruction[, image]} of FILE; print one JSON object per line.",
        ),
    ] = None,
) -> None:
    """Decide how an instruction would be done: opencv, model or reject (nothing is edited)."""
    if jsonl is not None:
        if instruction is not None:
            raise CliError("give either an INSTRUCTION or --jsonl FILE, not both")
        _route_jsonl(jsonl)
        return
    if instruction is None:
        raise CliError("missing INSTRUCTION (or --jsonl FILE)")
    result = _route_one(instruction, image)
    if as_json:
        _print_json(result)
        return
    out.print(
        f"[bold]{result['route']}[/bold] (confidence {result['confidence']:.2f}): {result['reason']}",
        markup=True,
    )
    for op in result["ops"]:
        out.print(f"  - {json.dumps(op, ensure_ascii=False)}", markup=False)
    for key in ("intent", "constraints", "unparsed"):
        if key in result:
            out.print(f"  {key}: {json.dumps(result[key], ensure_ascii=False)}", markup=False)
    if "suggestion" in result:
        out.print(f"  {result['suggestion']}", markup=False)


@app.command("templates")
def templates_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List the canonical instruction forms (zh/en) with examples: what the router knows best."""
    from routing.library import load_library

    forms = load_library()
    if as_json:
        _print_json([form.to_dict() for form in forms])
        return
    table = Table("form", "中文", "English", "examples", title="Instruction templates")
    for form in forms:
        kind = f"model: {form.action}" if form.op == "model" else f"opencv: {form.op}"
        table.add_row(kind, form.zh, form.en, " / ".join(form.examples))
    out.print(table, markup=False)


def _route_jsonl(path: Path) -> None:
    from config.settings import get_settings
    from routing import route

    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    limits = get_settings().limits
    sizes: dict[str, tuple[int, int] | None] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            _print_json(
                {
                    "id": f"line-{number}",
                    "route": "reject",
                    "ops": [],
                    "confidence": 1.0,
                    "reason": f"line {number} is not a JSON object: {exc}",
                }
            )
            continue
        row_id, image = row.get("id", f"line-{number}"), row.get("image")
        try:
            if image and image not in sizes:
                sizes[image] = _image_size(image)
        except CliError as exc:
            _print_json({"id": row_id, "route": "reject", "ops": [], "confidence": 1.0, "reason": str(exc)})
            continue
        plan = route(row.get("instruction"), image_size=sizes.get(image), limits=limits)
        _print_json({"id": row_id, **plan.to_dict()})


# ------------------------------------------------------------------------------------------------
# running flows


def _progress():
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


def _run_flow(call, total_hint: int | None = None):
    """Run a flow call on the Prefect API (embedded if none is configured) with a progress bar."""
    from retouch.prefect_api import prefect_api

    with prefect_api() as api:
        import flows.catalog  # noqa: F401  (slow imports before waiting for the server)
        import flows.deferred  # noqa: F401
        from flows.progress import progress_listener  # imports Prefect while the API boots

        api.ready()
        bar = _progress()
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

        results = [r.to_dict() for r in _run_flow(call_deferred)]
        if as_json:
            for result in results:
                _print_json(result)
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

        return catalog_refresh(manifest_uri=manifest, out_uri=out_dir, requested_by=_who())

    results = [r.to_dict() for r in _run_flow(call, total_hint=len(items))]
    if as_json:
        for result in results:
            _print_json(result)
    else:
        _summary(results, out_dir)


# ------------------------------------------------------------------------------------------------
# edit


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
    from tasks.images import EXTENSIONS, format_of_extension
    from tasks.storage import is_s3

    _image_size(image)  # missing or non-image input: exit 2 before starting anything
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
        requested_by=_who(),
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

    result = _run_flow(call)[0].to_dict()
    if result.get("output"):
        suffix = Path(result["output"]).suffix
        target = Path(output) if output else Path(f"{Path(image).stem}-edited{suffix}")
        write_bytes(str(target), read_bytes(result["output"]))
        result["output"] = str(target.resolve())
    if as_json:
        _print_json(result)
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


# ------------------------------------------------------------------------------------------------
# check


def _check_one(before: str, after: str, instruction: str | None) -> dict[str, Any]:
    from config.settings import get_settings
    from routing import route
    from tasks.checks import check_pair
    from tasks.images import ImageError, load_image
    from tasks.storage import StorageError, read_bytes

    settings = get_settings()
    pictures = []
    for path in (before, after):
        try:
            pictures.append(
                load_image(
                    read_bytes(path, settings.max_file_bytes), settings.max_pixels, keep_exif=False
                ).pixels
            )
        except (ImageError, StorageError) as exc:
            raise CliError(f"{path}: {exc}") from None
    plan = route(instruction, limits=settings.limits) if instruction else None
    return check_pair(*pictures, instruction, plan, settings.thresholds).to_dict()


@app.command("check")
def check_cmd(
    before: Annotated[str | None, typer.Argument(help="The original image.")] = None,
    after: Annotated[str | None, typer.Argument(help="The edited image.")] = None,
    instruction: Annotated[
        str | None,
        typer.Option("--instruction", "-i", help="What the edit was asked to do (scope, position)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help="Check every line {id, before, "
            "after, instruction} of FILE; print {id, verdict, confidence, findings} "
            "per line.",
        ),
    ] = None,
) -> None:
    """Post-checks of an edit: publish, or send to a person (frame sanity, drift, scope...)."""
    if jsonl is not None:
        if before or after:
            raise CliError("give either BEFORE AFTER or --jsonl FILE, not both")
        try:
            lines = jsonl.read_text(encoding="utf-8-sig").splitlines()
        except OSError as exc:
            raise CliError(f"{jsonl}: {exc.strerror or exc}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row_id = f"line-{number}"
            try:
                row = json.loads(line)
                row_id = row.get("id", row_id)
                result = _check_one(row["before"], row["after"], row.get("instruction"))
            except (ValueError, KeyError, TypeError, AttributeError, CliError) as exc:
                result = {
                    "verdict": "review",
                    "confidence": 0.0,
                    "findings": [],
                    "error": f"cannot check line {number}: {exc}",
                }
            _print_json({"id": row_id, **result})
        return
    if not (before and after):
        raise CliError("missing BEFORE and AFTER (or --jsonl FILE)")
    result = _check_one(before, after, instruction)
    if as_json:
        _print_json(result)
        return
    out.print(f"[bold]{result['verdict']}[/bold] (confidence {result['confidence']:.2f})")
    for finding in result["findings"]:
        mark = "ok  " if finding["passed"] else "FAIL"
        out.print(f"  {mark} {finding['check']:>12}: {finding['message']}", markup=False)


# ------------------------------------------------------------------------------------------------
# cost


@app.command("cost")
def cost_cmd(
    since: Annotated[
        str | None, typer.Option("--since", help="Only work from this date (YYYY-MM-DD) on.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Group by path, day or batch.")] = "path",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What the edits cost, per path (OpenCV, GPU model, human review), from the ledger, and
    the saving against sending everything to a hosted edit API."""
    from datetime import UTC, datetime

    from config.settings import get_settings
    from tasks.ledger.costs import hosted_comparison, totals

    if by not in ("path", "day", "batch"):
        raise CliError(f"--by {by}: use path, day or batch")
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise CliError(f"--since {since}: not a date (YYYY-MM-DD)") from None
    settings = get_settings()
    try:
        report = totals(settings.ledger_url, start, by)
    except Exception as exc:  # an unreachable database, a bad URL
        raise CliError(
            f"cannot read the ledger ({settings.ledger_url.split('@')[-1]}): {str(exc).splitlines()[0]}"
        ) from None
    paths = report["by_path"]
    report.update(hosted_comparison(report, settings), price_version=settings.price_version, grouped_by=by)
    if as_json:
        _print_json(report)
        return
    table = Table(title=f"cost by {by}" + (f" since {since}" if since else ""), show_edge=False)
    for column in (by, "items", "CPU s", "GPU s", "review min", "USD"):
        table.add_column(column, justify="left" if column == by else "right")
    rows = paths.items() if by == "path" else report["groups"].items()
    for name, v in rows:
        table.add_row(
            name,
            str(v["items"]),
            f"{v['cpu_s']:.1f}",
            f"{v['gpu_s']:.1f}",
            f"{v['review_min']:.1f}",
            f"{v['usd']:.4f}",
        )
    out.print(table)
    out.print(
        f"total ${report['total_usd']:.4f}; cache hits {report['cache_hits']}; the same "
        f"items on a hosted edit API ≈ ${report['hosted_api_usd']:.2f} → saved ${report['saving_usd']:.2f}"
    )


# ------------------------------------------------------------------------------------------------
# model

model_app = typer.Typer(
    help="The image model (Qwen-Image-Edit-2509): inspect, build a test model.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


@model_app.command("make-tiny")
def model_make_tiny(
    folder: Annotated[Path, typer.Argument(help="Where to save the tiny pipeline.")],
) -> None:
    """Build a random-weight pipeline of the same architecture, offline, with save_pretrained."""
    from tasks.qwen import ModelError, missing_extra

    try:
        from tasks.qwen_tiny import TINY_NOTICE, make_tiny
    except ImportError as exc:
        raise CliError(str(missing_extra(exc))) from None
    if folder.exists() and any(folder.iterdir()):
        raise CliError(f"{folder} exists and is not empty")
    try:
        make_tiny(folder)
    except (ImportError, ModelError) as exc:
        raise CliError(str(exc)) from None
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    out.print(
        f"saved a tiny Qwen-Image-Edit pipeline ({size / 1e6:.0f} MB) in {folder}\n"
        f"use it with RETOUCH_MODEL={folder}  — {TINY_NOTICE}"
    )


@model_app.command("info")
def model_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    load: Annotated[bool, typer.Option("--load", help="Also load the pipeline (slow).")] = False,
) -> None:
    """Show the configured model, where its weights are, and where it would run."""
    from config.settings import get_settings
    from tasks import qwen

    settings = get_settings()
    config = settings.qwen_config
    info: dict[str, Any] = {
        "model": config.model,
        "lora": config.lora,
        "steps": config.num_steps,
        "true_cfg_scale": config.cfg_scale,
        "worker": settings.model_worker,
    }
    try:
        info["weights"] = str(qwen.resolve_weights(config.model, allow_download=False))
    except qwen.ModelError as exc:
        info["weights"], info["error"] = None, str(exc)
    try:
        import torch

        cuda = torch.cuda.is_available()
        info["torch"] = torch.__version__
        info["device"] = torch.cuda.get_device_name(0) if cuda else "cpu"
        free = qwen.free_gpu_bytes()
        info["gpu_free_gib"] = round(free / 2**30, 1) if cuda else None
        info["dtype"] = "bfloat16" if cuda else "float32"
        info["placement"] = qwen.choose_placement(config, cuda, free)
    except ImportError:
        info["device"] = None
        info.setdefault("error", "the [model] extra is not installed: pip install 'retouch[model]'")
    if load and info.get("weights"):
        try:
            loaded = qwen.get_model(config)
            info.update(
                loaded=True,
                load_seconds=round(loaded.load_seconds, 2),
                placement=loaded.placement,
                notice=loaded.notice,
            )
        except qwen.ModelError as exc:
            info["error"] = str(exc)
    if as_json:
        _print_json(info)
        return
    for key, value in info.items():
        out.print(f"{key:>15}: {value}", markup=False)


# ------------------------------------------------------------------------------------------------
# serve


def _require_server(what: str) -> None:
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        raise CliError(
            f"{what} needs a Prefect server: set PREFECT_API_URL "
            "(e.g. http://127.0.0.1:4200/api after `prefect server start`)"
        )


@app.command("serve")
def serve_cmd(
    gpu: Annotated[
        bool,
        typer.Option(
            "--gpu",
            help="Serve model edits as a long-lived Prefect task worker that keeps the pipeline loaded.",
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", help="Runs (or, with --gpu, edits) at once; --gpu defaults to 1 per GPU."),
    ] = None,
) -> None:
    """Serve prefect.yaml's deployments (catalog-refresh, edit-batch, review-edit), or with
    --gpu the model task worker, against the configured Prefect server."""
    if not gpu:
        _require_server("serving deployments")
        from deployments.serve import serve_deployments

        serve_deployments(limit=limit)
        return
    from prefect.task_worker import serve

    from config.settings import get_settings
    from tasks import qwen
    from tasks.model_path import model_edit

    _require_server("a task worker")
    limit = limit or 1
    config = get_settings().qwen_config
    try:
        loaded = qwen.get_model(config)  # load before taking work: fail fast, and only once
    except qwen.ModelError as exc:
        raise CliError(str(exc)) from None
    err.print(
        f"model {config.model} loaded from {loaded.source} on {loaded.device} "
        f"({loaded.dtype}, {loaded.placement}) in {loaded.load_seconds:.1f} s; "
        f"serving model edits, {limit} at a time"
    )
    if loaded.notice:
        err.print(f"NOTE: {loaded.notice}")
    serve(model_edit, limit=limit)


# ------------------------------------------------------------------------------------------------
# watch

watch_app = typer.Typer(
    help="Turn S3 uploads into retouch.object.created events (the on-upload deployment edits each object).",
    no_args_is_help=True,
)
app.add_typer(watch_app, name="watch")


@watch_app.command("sqs")
def watch_sqs(
    queue_url: Annotated[
        str, typer.Argument(help="SQS queue receiving the bucket's s3:ObjectCreated notifications.")
    ],
) -> None:
    """Consume S3 bucket notifications from SQS (AWS and stores that notify)."""
    import logging

    from deployments.watchers import SqsConsumer

    _require_server("watching uploads")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    SqsConsumer(queue_url).run()


@watch_app.command("s3")
def watch_s3(
    prefix: Annotated[str, typer.Argument(help="s3://bucket/prefix to poll.")],
    interval: Annotated[float, typer.Option("--interval", help="Seconds between listings.")] = 10,
    skip_existing: Annotated[
        bool, typer.Option("--skip-existing", help="Ignore the objects already there when it starts.")
    ] = False,
) -> None:
    """Poll a prefix (for S3-compatible stores without notifications)."""
    import logging

    from deployments.watchers import PrefixPoller
    from tasks.storage import is_s3

    if not is_s3(prefix):
        raise CliError(f"{prefix}: give an s3://bucket/prefix")
    _require_server("watching uploads")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    PrefixPoller(prefix, skip_existing=skip_existing).run(interval)


@app.command("results-storage")
def results_storage_cmd(
    uri: Annotated[str, typer.Argument(help="s3://bucket/prefix for Prefect's results.")],
    block: Annotated[str, typer.Option("--block", help="Name of the S3Bucket block.")] = "retouch-results",
) -> None:
    """Keep Prefect's results (and task-worker parameters) in S3, for workers on several hosts."""
    from deployments.storage import configure_s3_results
    from tasks.storage import is_s3

    if not is_s3(uri):
        raise CliError(f"{uri}: give an s3://bucket/prefix")
    _require_server("result storage")
    slug = configure_s3_results(uri, block)
    out.print(
        f"results and task parameters now go to {uri} (block {slug}, set in the active "
        "Prefect profile); run this on every host, or copy the profile's settings"
    )


# ------------------------------------------------------------------------------------------------
# review

review_app = typer.Typer(help="Human review of edits the post-checks did not pass.", no_args_is_help=True)
app.add_typer(review_app, name="review")


def _review_runs() -> list[dict[str, Any]]:
    import asyncio

    from retouch.review_page import pending_reviews

    _require_server("review")
    return asyncio.run(pending_reviews())


@review_app.command("list")
def review_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Edits waiting for a decision (suspended review-edit runs)."""
    runs = _review_runs()
    if as_json:
        for run in runs:
            _print_json(run)
        return
    if not runs:
        out.print("nothing to review")
    for run in runs:
        out.print(f"{run['id']}  {run['item']}: {run['instruction']}", markup=False)
        for why in run["failed"]:
            out.print(f"    - {why}", markup=False)


def _decide(run_id: str, decision: str, note: str, reviewer: str, instruction: str | None = None) -> None:
    import asyncio
    from uuid import UUID

    from fastapi import HTTPException

    from retouch.review_page import Decision, decide

    _require_server("review")
    try:
        asyncio.run(
            decide(
                UUID(run_id),
                Decision(decision=decision, note=note, reviewer=reviewer, instruction=instruction),
            )
        )
    except ValueError:
        raise CliError(f"{run_id} is not a flow run id") from None
    except HTTPException as exc:
        raise CliError(str(exc.detail)) from None
    except Exception as exc:  # not found, not paused...
        raise CliError(f"cannot resume {run_id}: {str(exc).splitlines()[0]}") from None
    out.print(f"{decision}: {run_id}")


@review_app.command("show")
def review_show(run_id: str) -> None:
    """One pending review: the request, why it needs a person, where the pictures are."""
    run = next((r for r in _review_runs() if r["id"] == run_id), None)
    if run is None:
        raise CliError(f"{run_id} is not waiting for review")
    _print_json(run)


@review_app.command("approve")
def review_approve(
    run_id: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
) -> None:
    """Publish the edit."""
    _decide(run_id, "approve", note, reviewer)


@review_app.command("reject")
def review_reject(
    run_id: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
) -> None:
    """Refuse the edit (the note says why)."""
    _decide(run_id, "reject", note, reviewer)


@review_app.command("re-edit")
def review_reedit(
    run_id: str,
    instruction: str,
    note: str = "",
    reviewer: Annotated[str, typer.Option("--reviewer", envvar="USER")] = "anonymous",
) -> None:
    """Edit again from the original with a new instruction; the result is reviewed again."""
    _decide(run_id, "re-edit", note, reviewer, instruction)


@review_app.command("serve")
def review_serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8765,
) -> None:
    """The review page: pending edits, a before/after slider, approve/reject/re-edit."""
    import uvicorn

    from retouch.review_page import create_app

    _require_server("the review page")
    err.print(f"review page on http://{host}:{port}/")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


# ------------------------------------------------------------------------------------------------
# demo


def _demo_model() -> None:
    """Use the configured model; with none on this machine, a tiny random one, said loudly."""
    from config.settings import get_settings
    from tasks import qwen

    if os.environ.get("RETOUCH_MODEL"):
        return
    try:
        qwen.resolve_weights(get_settings().model)
        return  # the real weights are in the local cache
    except qwen.ModelError:
        pass
    folder = Path(os.environ.get("RETOUCH_DEMO_MODEL_DIR", REPO_ROOT / ".retouch" / "tiny-qwen"))
    try:
        from tasks.qwen_tiny import TINY_NOTICE, make_tiny
    except ImportError:
        err.print(
            "[yellow]NOTE: no image model and no [model] extra: model items will fail "
            "(pip install 'retouch[model]')[/yellow]"
        )
        return
    if not (folder / "model_index.json").exists():
        make_tiny(folder)
    os.environ["RETOUCH_MODEL"] = str(folder)
    get_settings.cache_clear()
    banner = f"NO MODEL WEIGHTS CONFIGURED: model items use a {TINY_NOTICE}. It lives in {folder}."
    err.print(f"[bold yellow]{'!' * 79}\n{banner}\n{'!' * 79}[/bold yellow]")


@app.command("demo")
def demo_cmd(
    out_dir: Annotated[str, typer.Option("--out", help="Where the demo writes its results.")] = "demo-out",
) -> None:
    """Run the bundled demo catalog (OpenCV, model and rejected items) on the embedded API."""
    manifest = REPO_ROOT / "examples" / "catalog.csv"
    if not manifest.exists():
        raise CliError(f"{manifest} not found: the demo needs a checkout of the repository")
    _demo_model()
    out.print(
        f"[bold]Retouch demo[/bold]: editing {manifest.relative_to(REPO_ROOT)} "
        f"into {out_dir}/ through a Prefect flow ..."
    )
    run_cmd(str(manifest), out_dir=out_dir, as_json=False)
    out_path = Path(out_dir).resolve()
    out.print(f"\nEdited images: {out_path / 'published'}/<id>/")
    out.print(
        "Each run is recorded in Prefect's database. To browse it in the Prefect UI:\n"
        "  .venv/bin/prefect server start     # then open http://127.0.0.1:4200 "
        "(flow 'catalog-refresh')"
    )


# ------------------------------------------------------------------------------------------------


def main() -> None:
    """Entry point: one-line errors, exit codes of the contract, tracebacks only with --debug."""
    debug = "--debug" in sys.argv[1:]
    tune_allocator()
    try:
        code = app(standalone_mode=False)  # click returns typer.Exit's code in this mode
        if isinstance(code, int) and code:
            sys.exit(code)
    except CliError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        first = str(exc).strip().splitlines()
        err.print(
            f"error: {type(exc).__name__}: {first[0] if first else ''} (run with --debug for details)",
            markup=False,
        )
        sys.exit(1)
