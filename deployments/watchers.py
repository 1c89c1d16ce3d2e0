"""Turn S3 uploads into `retouch.object.created` Prefect events (long-running processes).

Two sources, for two kinds of store:
- SqsConsumer: S3 bucket notifications delivered to an SQS queue (AWS, and S3-compatible
  stores that notify); each message is deleted only after its events were emitted.
- PrefixPoller: lists a prefix every few seconds, for stores without notifications; what it
  has seen (key + ETag) is kept in memory and new objects found after a restart are emitted
  again, which the on-upload flow's claim makes harmless.
Both emit one event per object; the `on-upload` deployment's trigger starts a run for each.
An event counts as sent once the Prefect API took it (an HTTP request answered, not a message
queued in this process): a send that fails is logged as a failure and tried again later (the
SQS message is kept; the poller forgets it saw the object).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tasks.infra.errors import one_line
from tasks.infra.storage import aws_client, s3_client, split_s3
from tasks.intake.uploads import EVENT, is_image_key, s3_records

log = logging.getLogger("retouch.watch")


def emit_created(bucket: str, key: str, etag: str, size: str | int = "") -> None:
    """Send the upload's event to the Prefect API and wait for it to be taken; raises if not."""
    from prefect import get_client
    from prefect.events import Event

    event = Event(
        event=EVENT,
        resource={
            "prefect.resource.id": f"s3://{bucket}/{key}",
            "prefect.resource.name": key,
            "retouch.bucket": bucket,
        },
        payload={"bucket": bucket, "key": key, "etag": etag, "size": str(size)},
    )
    with get_client(sync_client=True) as client:
        client.request("POST", "/events", json=[event.model_dump(mode="json")]).raise_for_status()
    log.info("sent %s for s3://%s/%s", EVENT, bucket, key)


def _sent(emit: Callable[..., None], record: dict) -> bool:
    """Whether `emit` took the record's event; a failure is logged (to be tried again)."""
    try:
        emit(**record)
    except Exception as exc:
        log.error(
            "FAILED to send %s for s3://%s/%s (tried again later): %s",
            EVENT,
            record["bucket"],
            record["key"],
            one_line(exc, named=False),
        )
        return False
    return True


class SqsConsumer:
    """Long-polls an SQS queue of S3 notifications and emits an event per created image."""

    def __init__(self, queue_url: str, emit: Callable[..., None] = emit_created) -> None:
        self.queue_url, self.emit = queue_url, emit
        self.sqs = aws_client("sqs")

    def poll_once(self, wait_seconds: int = 10) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        ).get("Messages", [])
        emitted = 0
        for message in messages:
            records = [r for r in s3_records(message["Body"]) if is_image_key(r["key"])]
            sent = [_sent(self.emit, record) for record in records]
            emitted += sum(sent)
            if all(sent):  # else the message comes back after its visibility timeout
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return emitted

    def run(self) -> None:
        log.info("watching %s", self.queue_url)
        while True:
            try:
                self.poll_once()
            except Exception as exc:  # the queue or the Prefect API is away: wait and retry
                log.warning("poll failed: %s", one_line(exc, named=False))
                time.sleep(5)


class PrefixPoller:
    """Lists s3://bucket/prefix and emits an event for each image not seen (key + ETag) yet."""

    def __init__(
        self, uri: str, emit: Callable[..., None] = emit_created, skip_existing: bool = False
    ) -> None:
        self.bucket, self.prefix = split_s3(uri)
        self.emit = emit
        self.seen: set[tuple[str, str]] = set()
        if skip_existing:
            self.seen = {(obj["Key"], obj["ETag"].strip('"')) for obj in self._objects()}

    def _objects(self):
        pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            yield from page.get("Contents", [])

    def poll_once(self) -> int:
        emitted = 0
        for obj in self._objects():
            marker = (obj["Key"], obj["ETag"].strip('"'))
            if marker in self.seen or not is_image_key(obj["Key"]):
                continue
            record = {"bucket": self.bucket, "key": obj["Key"], "etag": marker[1], "size": obj["Size"]}
            if _sent(self.emit, record):
                self.seen.add(marker)
                emitted += 1
        return emitted

    def run(self, interval: float = 10.0) -> None:
        log.info("polling s3://%s/%s every %gs", self.bucket, self.prefix, interval)
        while True:
            try:
                self.poll_once()
            except Exception as exc:
                log.warning("poll failed: %s", one_line(exc, named=False))
            time.sleep(interval)
