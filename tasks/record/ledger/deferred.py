"""Model edits deferred by the daily GPU budget: kept until a run-deferred flow takes them."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from config.contracts import Job
from tasks.record.ledger.db import deferred, engine_for, now


def defer(url: str, job: Job, out_dir: str) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(
            insert(deferred).values(
                at=now(), item=job.item.id, out_dir=out_dir, job=job.model_dump(mode="json")
            )
        )


def pending_deferred(url: str) -> list[tuple[int, str, Job]]:
    """Deferred jobs not run yet, oldest first: (row id, out_dir, job)."""
    with engine_for(url).connect() as connection:
        rows = connection.execute(
            select(deferred.c.id, deferred.c.out_dir, deferred.c.job)
            .where(deferred.c.done_at.is_(None))
            .order_by(deferred.c.id)
        )
        return [(row.id, row.out_dir, Job.model_validate(row.job)) for row in rows]


def mark_done(url: str, ids: list[int]) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(update(deferred).where(deferred.c.id.in_(ids)).values(done_at=now()))
