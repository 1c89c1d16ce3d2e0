"""Uploads taken in: S3 events arrive at least once, so (bucket, key, ETag) is claimed first."""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from tasks.ledger.db import engine_for, now, uploads


def claim_upload(url: str, bucket: str, key: str, etag: str, flow_run: str | None) -> bool:
    """True for the first claim of (bucket, key, etag); False when it was processed already."""
    engine = engine_for(url)  # outside the try: only the claim's own insert may conflict
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(uploads).values(bucket=bucket, key=key, etag=etag, at=now(), flow_run=flow_run)
            )
        return True
    except IntegrityError:
        return False


def release_upload(url: str, bucket: str, key: str, etag: str) -> None:
    """Give a claim back (its run failed): the next event for the object runs again."""
    with engine_for(url).begin() as connection:
        connection.execute(
            delete(uploads).where(uploads.c.bucket == bucket, uploads.c.key == key, uploads.c.etag == etag)
        )
