"""Objects uploaded to S3: event records, their instruction, and the item they become.

S3 notifications (through SQS) carry URL-encoded keys and arrive at least once, sometimes
out of order; user metadata (`x-amz-meta-*`) must be ASCII, so a Chinese instruction travels
percent-encoded (UTF-8) in `x-amz-meta-instruction`, or in a sidecar `<key>.json` object
(`{"instruction": "..."}`) next to the image.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from typing import Any

from tasks.infra.errors import one_line
from tasks.infra.storage import StorageError, s3_client, safe_key

EVENT = "retouch.object.created"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif")


def s3_records(message_body: str) -> list[dict[str, str]]:
    """{bucket, key, etag, size} of each created object in an S3 notification (SQS body)."""
    try:
        body = json.loads(message_body)
    except ValueError:
        return []
    if "Message" in body and isinstance(body["Message"], str):  # delivered through SNS
        try:
            body = json.loads(body["Message"])
        except ValueError:
            return []
    found = []
    for record in body.get("Records", []):  # an s3:TestEvent has none
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record.get("s3", {})
        found.append(
            {
                "bucket": s3.get("bucket", {}).get("name", ""),
                "key": urllib.parse.unquote_plus(s3.get("object", {}).get("key", "")),
                "etag": str(s3.get("object", {}).get("eTag", "")).strip('"'),
                "size": str(s3.get("object", {}).get("size", "")),
            }
        )
    return found


def is_image_key(key: str) -> bool:
    return key.lower().endswith(IMAGE_SUFFIXES)


def item_id(key: str) -> str:
    """A safe, readable, unique and stable id for an object key: the key made safe, then a
    digest of the exact key (incoming/sku 1.png and incoming/sku_1.png differ):
    incoming/红色 T恤.jpg -> incoming--红色_T恤.jpg--<10 hex digits>."""
    readable = re.sub(r"[^\w.\-]+", "_", key.strip("/").replace("/", "--"))
    readable = re.sub(r"\.{2,}", "_", readable).lstrip("._-")[:100] or "upload"
    return f"{readable}--{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def upload_request(bucket: str, key: str) -> tuple[str | None, str | None]:
    """What an upload asks for and who asks: the instruction from its metadata (else a sidecar
    `<key>.json`), and `x-amz-meta-requested-by` (else the sidecar's `requested_by`)."""
    client = s3_client()
    try:
        head = client.head_object(Bucket=bucket, Key=safe_key(key))
    except Exception as exc:
        raise StorageError(f"s3://{bucket}/{key}: {one_line(exc, named=False)}") from None
    meta = {k.lower(): urllib.parse.unquote(v) for k, v in head.get("Metadata", {}).items()}
    if meta.get("instruction"):
        return meta["instruction"], meta.get("requested-by")
    sidecar = _sidecar(client, bucket, key)
    return sidecar.get("instruction"), meta.get("requested-by") or sidecar.get("requested_by")


def _sidecar(client, bucket: str, key: str) -> dict[str, Any]:
    """The `<key>.json` beside an upload, {} when there is none or it is not a JSON object."""
    try:
        body = client.get_object(Bucket=bucket, Key=safe_key(key + ".json"))["Body"].read()
        sidecar = json.loads(body)
    except Exception:
        return {}
    return sidecar if isinstance(sidecar, dict) else {}
