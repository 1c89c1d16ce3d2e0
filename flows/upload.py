"""Edit an object as it is uploaded: started by a `retouch.object.created` event.

The `on-upload` deployment's trigger (prefect.yaml) passes the object's bucket, key and ETag.
The instruction comes from the object's `x-amz-meta-instruction` (percent-encoded UTF-8) or a
sidecar `<key>.json`; `x-amz-meta-requested-by` names who asked. S3 delivers events at least
once and workers die: (bucket, key, ETag) is leased in the ledger first (tasks/ledger/uploads.py),
so a repeated event does nothing while the lease runs; the `retry-uploads` deployment takes up
uploads whose holder died (the lease expired) or whose attempt failed (after a back-off), up to
RETOUCH_UPLOAD_MAX_ATTEMPTS, then records them failed and sends an `upload.failed` webhook.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from config.contracts import Item
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.ledger.uploads import claim_upload, due_uploads, finish_upload
from tasks.notify import notify
from tasks.storage import join
from tasks.uploads import is_image_key, item_id, upload_request


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
    try:
        instruction, who = upload_request(bucket, key)
        item = Item(
            id=item_id(key),
            image=f"s3://{bucket}/{key}",
            instruction=instruction,
            requested_by=who or f"upload:s3://{bucket}",
        )
        root = out_uri or settings.upload_out_uri or f"s3://{bucket}/retouch-out"
        (result,) = run_batch([item], join(root, item.id), settings)
        error = result.error if result.status == "failed" else None
        return result.to_dict()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
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
        if state == "failed":
            logger.error("s3://%s/%s failed %d times: %s", bucket, key, settings.upload_max_attempts, error)
            notify(
                {"event": "upload.failed", "bucket": bucket, "key": key, "etag": etag, "error": error},
                settings,
            )


@flow(name="retry-uploads")
def retry_uploads(out_uri: str | None = None) -> list[dict[str, Any]]:
    """Take up the uploads whose holder died (lease expired) or whose retry is due."""
    settings = get_settings()
    due = due_uploads(settings.ledger_url)
    get_run_logger().info("%d uploads to take up again", len(due))
    return [on_upload(bucket, key, etag, out_uri) for bucket, key, etag in due]
