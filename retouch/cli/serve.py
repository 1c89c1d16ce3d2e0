"""`retouch serve`, `retouch watch` and `retouch results-storage`: run Retouch for ops."""

from __future__ import annotations

from typing import Annotated

import typer

from retouch.cli.basics import CliError
from retouch.cli.common import app, err, out, require_server


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
        typer.Option(
            "--limit",
            help="Runs at once (default: one per CPU core, so several hosts share the runs), "
            "or with --gpu edits at once (default 1 per GPU).",
        ),
    ] = None,
) -> None:
    """Serve prefect.yaml's deployments (catalog-refresh, edit-batch, review-edit), or with
    --gpu the model task worker, against the configured Prefect server."""
    from config.settings import get_settings
    from tasks.infra.notify import unsigned_warning

    warning = unsigned_warning(get_settings())
    if warning:
        err.print(f"warning: {warning}", markup=False)
    if not gpu:
        require_server("serving deployments")
        import os

        from deployments.fleet import HEARTBEAT_S

        # its flow runs beat, so a host that dies has its runs marked Crashed (`retouch fleet setup`)
        os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_S))
        from deployments.serve import serve_deployments

        serve_deployments(limit=limit or os.cpu_count() or 1)
        return
    from prefect.task_worker import serve

    from config.settings import get_settings
    from tasks.edit import qwen
    from tasks.edit.model_path import model_edit

    require_server("a task worker")
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

    require_server("watching uploads")
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
    from tasks.infra.storage import is_s3

    if not is_s3(prefix):
        raise CliError(f"{prefix}: give an s3://bucket/prefix")
    require_server("watching uploads")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    PrefixPoller(prefix, skip_existing=skip_existing).run(interval)


@app.command("results-storage")
def results_storage_cmd(
    uri: Annotated[str, typer.Argument(help="s3://bucket/prefix for Prefect's results.")],
    block: Annotated[str, typer.Option("--block", help="Name of the S3Bucket block.")] = "retouch-results",
) -> None:
    """Keep Prefect's results (and task-worker parameters) in S3, for workers on several hosts."""
    from deployments.storage import configure_s3_results
    from tasks.infra.storage import is_s3

    if not is_s3(uri):
        raise CliError(f"{uri}: give an s3://bucket/prefix")
    require_server("result storage")
    slug = configure_s3_results(uri, block)
    out.print(
        f"results and task parameters now go to {uri} (block {slug}, set in the active "
        "Prefect profile); run this on every host, or copy the profile's settings"
    )
