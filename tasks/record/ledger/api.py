"""The HTTP API's keys and jobs, on the ledger's database (shared by every API process).

A key is shown once, when it is made; only its SHA-256 is kept, so a leaked database gives no
key away. A job is one request of a key (an edit or a batch): its status, what was asked and
its result; a client's own `id` makes a repeated request the same job (idempotency).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tasks.record.ledger.db import api_jobs, api_keys, engine_for, now

KEY_PREFIX = "rtk_"
FINAL = ("published", "review", "rejected", "failed", "cancelled")


class ApiKeyError(ValueError):
    """A key that cannot be made or revoked; one line."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(url: str, name: str, daily_usd: float | None = None) -> str:
    """A new key named `name` (returned once; only its hash is kept)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with engine_for(url).begin() as connection:
            connection.execute(
                insert(api_keys).values(name=name, hash=_digest(key), created_at=now(), daily_usd=daily_usd)
            )
    except IntegrityError:
        raise ApiKeyError(
            f"a key named {name!r} exists already (revoke it first, or pick another name)"
        ) from None
    return key


def key_name(url: str, key: str) -> str | None:
    """The name of a valid (not revoked) key, else None."""
    with engine_for(url).connect() as connection:
        row = connection.execute(
            select(api_keys.c.name).where(api_keys.c.hash == _digest(key), api_keys.c.revoked_at.is_(None))
        ).first()
    return row[0] if row else None


def any_keys(url: str) -> bool:
    with engine_for(url).connect() as connection:
        return bool(connection.execute(select(func.count()).where(api_keys.c.revoked_at.is_(None))).scalar())


def list_keys(url: str) -> list[dict[str, Any]]:
    with engine_for(url).connect() as connection:
        rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings()
        return [
            {
                "name": r["name"],
                "created_at": r["created_at"].isoformat(timespec="seconds"),
                "revoked_at": r["revoked_at"].isoformat(timespec="seconds") if r["revoked_at"] else None,
                "daily_usd": r["daily_usd"],
            }
            for r in rows
        ]


def revoke_key(url: str, name: str) -> None:
    with engine_for(url).begin() as connection:
        done = connection.execute(
            update(api_keys)
            .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    if done.rowcount != 1:
        raise ApiKeyError(f"no active key named {name!r} (`retouch api-key list` shows them)")


def key_quota(url: str, name: str) -> float | None:
    with engine_for(url).connect() as connection:
        return connection.execute(select(api_keys.c.daily_usd).where(api_keys.c.name == name)).scalar()


def spent_since(url: str, key: str, since: datetime) -> float:
    """What this key's jobs since `since` cost (USD; a batch: the sum of its items)."""
    with engine_for(url).connect() as connection:
        results = connection.execute(
            select(api_jobs.c.result).where(api_jobs.c.key_name == key, api_jobs.c.created_at >= since)
        ).scalars()
        return sum(_usd(result) for result in results)


def _usd(result: Any) -> float:
    if isinstance(result, list):
        return sum(_usd(r) for r in result)
    if isinstance(result, dict):
        return float((result.get("cost") or {}).get("usd") or 0.0)
    return 0.0


def create_job(
    url: str, key: str, kind: str, request: dict[str, Any], client_id: str | None
) -> tuple[dict, bool]:
    """(the job, True) when made now; (the earlier job, False) when this key already sent
    this client id (a retried request is the same job)."""
    job_id = "job_" + uuid.uuid4().hex
    at = now()
    try:
        with engine_for(url).begin() as connection:
            connection.execute(
                insert(api_jobs).values(
                    id=job_id,
                    key_name=key,
                    client_id=client_id,
                    kind=kind,
                    status="queued",
                    request=request,
                    created_at=at,
                    updated_at=at,
                )
            )
    except IntegrityError:
        with engine_for(url).connect() as connection:
            row = (
                connection.execute(
                    select(api_jobs).where(
                        and_(api_jobs.c.key_name == key, api_jobs.c.client_id == client_id)
                    )
                )
                .mappings()
                .one()
            )
        return _job(row), False
    return get_job(url, job_id), True


def get_job(url: str, job_id: str) -> dict[str, Any] | None:
    with engine_for(url).connect() as connection:
        row = connection.execute(select(api_jobs).where(api_jobs.c.id == job_id)).mappings().first()
    return _job(row) if row else None


def update_job(url: str, job_id: str, status: str, result: Any = None, only_if: tuple[str, ...] = ()) -> bool:
    """Set a job's status (and result); with `only_if`, only from one of those statuses (a
    running job is taken with `take_job` and ended with `finish_job`)."""
    query = update(api_jobs).where(api_jobs.c.id == job_id)
    if only_if:
        query = query.where(api_jobs.c.status.in_(only_if))
    values: dict[str, Any] = {"status": status, "updated_at": now()}
    if result is not None:
        values["result"] = result
    with engine_for(url).begin() as connection:
        return connection.execute(query.values(**values)).rowcount == 1


def take_job(url: str, job_id: str) -> int | None:
    """Take a queued job to run it: it is `running`, its lease starts (a first heartbeat) and
    its attempt count goes up. Returns that count, the lease's fencing token: only the taker of
    the latest attempt may beat on the job or end it (`beat`, `finish_job`), so a process whose
    lease ran out (a stall, a database outage) cannot overwrite the run that took it back.
    None when the job was not queued (cancelled, or taken by another process)."""
    at = now()
    with engine_for(url).begin() as connection:
        return connection.execute(
            update(api_jobs)
            .where(api_jobs.c.id == job_id, api_jobs.c.status == "queued")
            .values(status="running", updated_at=at, heartbeat_at=at, attempts=api_jobs.c.attempts + 1)
            .returning(api_jobs.c.attempts)
        ).scalar_one_or_none()


def _held(job_id: str, attempt: int):
    return and_(api_jobs.c.id == job_id, api_jobs.c.status == "running", api_jobs.c.attempts == attempt)


def finish_job(url: str, job_id: str, attempt: int, status: str, result: Any) -> bool:
    """End a running job with its result, if this `attempt` still holds it (False: its lease
    ran out and the job was taken back: this run's result is not the job's)."""
    with engine_for(url).begin() as connection:
        return (
            connection.execute(
                update(api_jobs)
                .where(_held(job_id, attempt))
                .values(status=status, result=result, updated_at=now())
            ).rowcount
            == 1
        )


def jobs_of(url: str, key: str, limit: int = 50) -> list[dict[str, Any]]:
    with engine_for(url).connect() as connection:
        rows = connection.execute(
            select(api_jobs)
            .where(api_jobs.c.key_name == key)
            .order_by(api_jobs.c.created_at.desc())
            .limit(limit)
        ).mappings()
        return [_job(r) for r in rows]


def jobs_in(url: str, status: str, key: str | None = None) -> list[dict[str, Any]]:
    """The jobs in `status` (of `key`, if given), oldest first, in one query (queued: an API
    process that starts takes them up; review: followed until a person decides)."""
    query = select(api_jobs).where(api_jobs.c.status == status)
    if key is not None:
        query = query.where(api_jobs.c.key_name == key)
    with engine_for(url).connect() as connection:
        return [_job(r) for r in connection.execute(query.order_by(api_jobs.c.created_at)).mappings()]


def beat(url: str, leases: dict[str, int]) -> None:
    """Renew the leases of these running jobs (job id -> the attempt this process runs)."""
    if leases:
        with engine_for(url).begin() as connection:
            connection.execute(
                update(api_jobs)
                .where(or_(*(_held(job_id, attempt) for job_id, attempt in leases.items())))
                .values(heartbeat_at=now())
            )


def _lease_out(lease_s: float):
    """A running job whose process has not beaten on its lease for `lease_s`."""
    stale = now() - timedelta(seconds=lease_s)
    beaten = api_jobs.c.heartbeat_at
    return and_(api_jobs.c.status == "running", or_(beaten.is_(None), beaten < stale))


def orphaned_jobs(url: str, lease_s: float) -> list[dict[str, Any]]:
    """Running jobs whose lease ran out: the process running them stopped beating."""
    with engine_for(url).connect() as connection:
        return [_job(r) for r in connection.execute(select(api_jobs).where(_lease_out(lease_s))).mappings()]


def release(url: str, job_id: str, status: str, result: Any, lease_s: float) -> bool:
    """Take an orphaned job back (to `queued`, or to an end with `result`), only if its lease is
    still out: of two processes that both saw it, one does."""
    with engine_for(url).begin() as connection:
        return (
            connection.execute(
                update(api_jobs)
                .where(api_jobs.c.id == job_id, _lease_out(lease_s))
                .values(status=status, updated_at=now(), **({"result": result} if result is not None else {}))
            ).rowcount
            == 1
        )


def _job(row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "key": row["key_name"],
        "client_id": row["client_id"],
        "kind": row["kind"],
        "status": row["status"],
        "request": row["request"],
        "result": row["result"],
        "created_at": row["created_at"].isoformat(timespec="seconds"),
        "updated_at": row["updated_at"].isoformat(timespec="seconds"),
        "attempts": row["attempts"],
    }
