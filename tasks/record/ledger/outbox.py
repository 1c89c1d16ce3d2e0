"""The API's webhook outbox (table api_webhooks): a message per state change of a job, written
once (its id is the webhook-id: `msg_<job>_<event>`), claimed by one sender at a time, retried
with backoff until it is delivered or out of tries. What retouch/api/hooks.py delivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from tasks.record.ledger.db import api_webhooks, engine_for, now


def post(url: str, message_id: str, job_id: str, target: str, payload: dict[str, Any]) -> bool:
    """Queue a message (False: this message was queued before: a state change is told once)."""
    try:
        with engine_for(url).begin() as connection:
            connection.execute(
                insert(api_webhooks).values(
                    id=message_id, job_id=job_id, url=target, payload=payload, attempts=0, next_at=now()
                )
            )
    except IntegrityError:
        return False
    return True


def claim(url: str, tries: int, hold_s: float, limit: int = 20) -> list[dict[str, Any]]:
    """Messages due now, each claimed for `hold_s` (no other sender takes it meanwhile)."""
    at = now()
    due = and_(
        api_webhooks.c.delivered_at.is_(None), api_webhooks.c.attempts < tries, api_webhooks.c.next_at <= at
    )
    claimed = []
    with engine_for(url).begin() as connection:
        rows = connection.execute(select(api_webhooks).where(due).limit(limit)).mappings().all()
        for row in rows:
            taken = connection.execute(
                update(api_webhooks)
                .where(api_webhooks.c.id == row["id"], api_webhooks.c.next_at == row["next_at"])
                .values(next_at=at + timedelta(seconds=hold_s))
            ).rowcount
            if taken:
                claimed.append(dict(row))
    return claimed


def delivered(url: str, message_id: str) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(
            update(api_webhooks).where(api_webhooks.c.id == message_id).values(delivered_at=now())
        )


def failed(url: str, message_id: str, error: str, retry_in_s: float) -> None:
    """One more failed try; the next after `retry_in_s`."""
    with engine_for(url).begin() as connection:
        connection.execute(
            update(api_webhooks)
            .where(api_webhooks.c.id == message_id)
            .values(
                attempts=api_webhooks.c.attempts + 1,
                error=error[:500],
                next_at=now() + timedelta(seconds=retry_in_s),
            )
        )
