"""Edit an object as it is uploaded: started by a `retouch.object.created` event.

The `on-upload` deployment's trigger (prefect.yaml) passes the object's bucket, key and ETag.
The instruction comes from the object's `x-amz-meta-instruction` (percent-encoded UTF-8) or a
sidecar `<key>.json`; `x-amz-meta-requested-by` names who asked. S3 delivers events at least
once and workers die: (bucket, key, ETag) is leased in the ledger first (tasks/record/ledger/uploads.py),
so a repeated event does nothing while the lease runs; the `retry-uploads` deployment takes up
uploads whose holder died (the lease expired) or whose attempt failed (after a back-off), up to
RETOUCH_UPLOAD_MAX_ATTEMPTS, then records them failed. Each failed attempt is told where the
operator looks: a `failed` line in OUT/<id>/results.jsonl and a webhook (`upload.retrying`, then
`upload.failed`).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from config.contracts import Item, ItemResult
from config.settings import Settings, get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.infra.errors import one_line
from tasks.infra.notify import notify
from tasks.infra.storage import join
from tasks.intake.uploads import is_image_key, item_id, upload_request
from tasks.record.ledger.uploads import claim_upload, due_uploads, finish_upload
from tasks.record.results import write_results_file


@flow(name="on-upload", task_runner=WorkerThreads())
def on_upload(bucket: str, key: str, etag: str = "", out_uri: str | None = None) -> dict[str, Any]:
    """Edit s3://bucket/key into OUT/<id>/ (published/ or review/, and results.jsonl)."""
    logger = get_run_logger()
    settings = get_settings()
    if not is_image_key(key):
        logger.info("s3://%s/%s is not an image: nothing to do", bucket, key)
        return {"bucket": bucket, "key": key, "status": "skipped"}
    holder = str(flow_run.id)
    if not claim_upload(settings.ledger_url, bucket, key, etag, holder, settings.upload_lease_seconds):
        logger.info("s3://%s/%s (ETag %s) is being or was taken in already", bucket, key, etag)
        return {"bucket": bucket, "key": key, "status": "duplicate"}
    error = "the run ended before the edit did"
    root = out_uri or settings.upload_out_uri or f"s3://{bucket}/retouch-out"
    item = Item(
        id=item_id(key),
        image=f"s3://{bucket}/{key}",
        requested_by=f"upload:s3://{bucket}",
        own_folder=True,  # OUT/<id>/published/<hash>.jpg, not OUT/<id>/published/<id>/...
    )
    try:
        instruction, who = upload_request(bucket, key)
        item = item.model_copy(update={"instruction": instruction, "requested_by": who or item.requested_by})
        (result,) = run_batch([item], join(root, item.id), settings)
        error = result.error if result.status == "failed" else None
        return result.to_dict()
    except Exception as exc:
        error = one_line(exc)
        record_failure(item, join(root, item.id), error)
        raise
    finally:  # not reached on SIGKILL: then the lease expires and retry-uploads takes it up
        state = finish_upload(
            settings.ledger_url,
            bucket,
            key,
            etag,
            holder,
            error,
            settings.upload_max_attempts,
            settings.upload_retry_seconds,
        )
        if state in ("retry", "failed"):
            tell_operator(bucket, key, etag, error, state, settings)


def record_failure(item: Item, folder: str, error: str) -> None:
    """A `failed` line in the upload's results.jsonl, where the operator looks (when the
    output location itself can be written to: else the log, the UI and the webhook say it)."""
    failed = ItemResult(
        id=item.id,
        status="failed",
        image=item.image,
        instruction=item.instruction,
        requested_by=item.requested_by,
        error=error,
    )
    try:
        write_results_file([failed], folder)
    except Exception as exc:
        get_run_logger().error("could not record the failure in %s either: %s", folder, exc)


def tell_operator(
    bucket: str, key: str, etag: str, error: str | None, state: str, settings: Settings
) -> None:
    """Log and send a webhook for a failed attempt: `upload.retrying` while attempts are left,
    `upload.failed` once they are spent."""
    final = state == "failed"
    logger = get_run_logger()
    (logger.error if final else logger.warning)(
        "s3://%s/%s %s: %s",
        bucket,
        key,
        f"failed {settings.upload_max_attempts} times" if final else "failed; it will be retried",
        error,
    )
    notify(
        {
            "event": "upload.failed" if final else "upload.retrying",
            "bucket": bucket,
            "key": key,
            "etag": etag,
            "error": error,
            "max_attempts": settings.upload_max_attempts,
        },
        settings,
    )


@flow(name="retry-uploads")
def retry_uploads(out_uri: str | None = None) -> list[dict[str, Any]]:
    """Take up the uploads whose holder died (lease expired) or whose retry is due."""
    settings = get_settings()
    due = due_uploads(settings.ledger_url)
    get_run_logger().info("%d uploads to take up again", len(due))
    return [on_upload(bucket, key, etag, out_uri) for bucket, key, etag in due]
