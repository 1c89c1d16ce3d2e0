"""Edit an object as it is uploaded: started by a `retouch.object.created` event.

The `on-upload` deployment's trigger (prefect.yaml) passes the object's bucket, key and ETag.
The instruction comes from the object's `x-amz-meta-instruction` (percent-encoded UTF-8) or a
sidecar `<key>.json`. S3 delivers events at least once: (bucket, key, ETag) is claimed in the
ledger first, so a repeated event does nothing; a run that fails gives its claim back so that
the next event (or a re-run) tries again.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from config.contracts import Item
from config.settings import get_settings
from flows.edit import run_batch
from flows.runner import WorkerThreads
from tasks.ledger.uploads import claim_upload, release_upload
from tasks.storage import join
from tasks.uploads import instruction_for, is_image_key, item_id


@flow(name="on-upload", task_runner=WorkerThreads())
def on_upload(bucket: str, key: str, etag: str = "", out_uri: str | None = None) -> dict[str, Any]:
    """Edit s3://bucket/key into OUT/<id>/ (published/ or review/, and results.jsonl)."""
    logger = get_run_logger()
    settings = get_settings()
    if not is_image_key(key):
        logger.info("s3://%s/%s is not an image: nothing to do", bucket, key)
        return {"bucket": bucket, "key": key, "status": "skipped"}
    if not claim_upload(settings.ledger_url, bucket, key, etag, str(flow_run.id)):
        logger.info("s3://%s/%s (ETag %s) was taken in already", bucket, key, etag)
        return {"bucket": bucket, "key": key, "status": "duplicate"}
    try:
        item = Item(
            id=item_id(key),
            image=f"s3://{bucket}/{key}",
            instruction=instruction_for(bucket, key),
            requested_by=f"upload:s3://{bucket}",
        )
        root = out_uri or settings.upload_out_uri or f"s3://{bucket}/retouch-out"
        (result,) = run_batch([item], join(root, item.id), settings)
    except BaseException:
        release_upload(settings.ledger_url, bucket, key, etag)
        raise
    return result.to_dict()
