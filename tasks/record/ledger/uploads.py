"""Uploads taken in: (bucket, key, ETag) is leased before it is edited.

S3 delivers events at least once, and a worker can die mid-edit (SIGKILL, OOM, a lost node), so
a claim is a lease: it has a holder and an expiry. A second event while the lease runs does
nothing; a lease that expired (its holder died) or a failed attempt whose back-off has passed
can be taken over, by exactly one claimant (a conditional update). A finished upload is `done`;
a failed one is retried with exponential back-off up to a limit, then `failed`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tasks.record.ledger.db import engine_for, now, uploads


def _this(bucket: str, key: str, etag: str):
    return and_(uploads.c.bucket == bucket, uploads.c.key == key, uploads.c.etag == etag)


def _takeable(at: datetime):
    """A lease whose holder died, or a failed attempt whose back-off has passed."""
    return or_(
        and_(uploads.c.state == "running", uploads.c.expires_at < at),
        and_(uploads.c.state == "retry", uploads.c.next_try_at <= at),
    )


def claim_upload(url: str, bucket: str, key: str, etag: str, holder: str | None, lease_s: float) -> bool:
    """True when this holder now leases (bucket, key, etag) for `lease_s` seconds: the first
    claim, or a takeover of an expired lease or a due retry; False while another holds it, or
    once it is done or has failed for good."""
    engine = engine_for(url)  # outside the try: only the claim's own insert may conflict
    at = now()
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(uploads).values(
                    bucket=bucket,
                    key=key,
                    etag=etag,
                    at=at,
                    flow_run=holder,
                    state="running",
                    expires_at=at + timedelta(seconds=lease_s),
                    attempts=1,
                )
            )
        return True
    except IntegrityError:
        pass
    with engine.begin() as connection:
        taken = connection.execute(
            update(uploads)
            .where(_this(bucket, key, etag), _takeable(at))
            .values(
                flow_run=holder,
                state="running",
                at=at,
                expires_at=at + timedelta(seconds=lease_s),
                attempts=uploads.c.attempts + 1,
                next_try_at=None,
            )
        )
    return taken.rowcount == 1


def finish_upload(
    url: str,
    bucket: str,
    key: str,
    etag: str,
    holder: str | None,
    error: str | None,
    max_attempts: int,
    retry_s: float,
) -> str:
    """Record how this holder's attempt ended: `done`, `retry` (after retry_s * 2^(attempts-1)
    seconds) or, once `max_attempts` failed, `failed`. A holder whose lease was taken over
    records nothing. Returns the upload's state."""
    engine = engine_for(url)
    with engine.begin() as connection:
        row = connection.execute(
            select(uploads.c.attempts, uploads.c.flow_run, uploads.c.state).where(_this(bucket, key, etag))
        ).one()
        if row.flow_run != holder or row.state != "running":
            return row.state
        if error is None:
            values = {"state": "done", "error": None}
        elif row.attempts >= max_attempts:
            values = {"state": "failed", "error": error}
        else:
            delay = timedelta(seconds=retry_s * 2 ** (row.attempts - 1))
            values = {"state": "retry", "error": error, "next_try_at": now() + delay}
        connection.execute(update(uploads).where(_this(bucket, key, etag)).values(**values))
    return values["state"]


def due_uploads(url: str) -> list[tuple[str, str, str]]:
    """(bucket, key, etag) of the uploads to take up again: lost leases and due retries."""
    with engine_for(url).connect() as connection:
        rows = connection.execute(
            select(uploads.c.bucket, uploads.c.key, uploads.c.etag)
            .where(_takeable(now()))
            .order_by(uploads.c.at)
        )
        return [tuple(row) for row in rows]
