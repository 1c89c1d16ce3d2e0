"""The ledger (what each item cost, per path), the audit log, and the edit cache.

SQLAlchemy Core on RETOUCH_DB_URL: SQLite under the data folder by default, PostgreSQL by URL
(postgresql+psycopg://...). The schema belongs to the project: Alembic migrations in
retouch/migrations run automatically the first time a process opens the database; processes
that open a new database at the same moment (a worker starting several runs) take turns: a
PostgreSQL advisory lock, or a lock file beside the SQLite file.
"""

from __future__ import annotations

import fcntl
import threading
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from config.contracts import ItemResult, Job, ReviewDecision

MIGRATIONS = Path(__file__).resolve().parents[1] / "retouch" / "migrations"
metadata = MetaData()

ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("batch", String(64)),  # the flow run
    Column("item", String(200), nullable=False),
    Column("path", String(16), nullable=False),  # opencv | model | review
    Column("status", String(16)),
    Column("cpu_s", Float, nullable=False, default=0.0),
    Column("gpu_s", Float, nullable=False, default=0.0),
    Column("gpu_type", String(64)),
    Column("review_min", Float, nullable=False, default=0.0),
    Column("cache_hit", Boolean, nullable=False, default=False),
    Column("price_version", String(32)),
    Column("usd", Float, nullable=False, default=0.0),
)
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("batch", String(64)),
    Column("item", String(200), nullable=False),
    Column("event", String(16), nullable=False),
    Column("request", Text),
    Column("image", Text),
    Column("model", String(200)),
    Column("model_version", String(200)),
    Column("seed", BigInteger),
    Column("output", Text),
    Column("status", String(16)),
    Column("decision", String(16)),
    Column("who", String(200)),
    Column("note", Text),
)
edit_cache = Table(
    "edit_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("output", Text, nullable=False),
    Column("result", JSON, nullable=False),
)
deferred = Table(
    "deferred",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("item", String(200), nullable=False),
    Column("out_dir", Text, nullable=False),
    Column("job", JSON, nullable=False),
    Column("done_at", DateTime(timezone=True)),
)
uploads = Table(
    "uploads",
    metadata,
    Column("bucket", String(255), primary_key=True),
    Column("key", String(1024), primary_key=True),
    Column("etag", String(128), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("flow_run", String(64)),
)
PATHS = ("opencv", "model", "review")
_migrated: set[str] = set()
_lock = threading.Lock()
MIGRATION_LOCK_ID = 0x5245544F  # "RETO": the advisory lock PostgreSQL migrations take turns on
SQLITE_BUSY_SECONDS = 30  # how long a write waits for another process's (pysqlite's default: 5)


def now() -> datetime:
    return datetime.now(UTC)


def _sqlite_path(url: str) -> Path | None:
    """The file of a file-backed SQLite URL (None for other databases and :memory:)."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    return Path(url[len("sqlite:///") :]).expanduser()


@cache
def _engine(url: str) -> Engine:
    path = _sqlite_path(url)
    if path is None:
        return create_engine(url, pool_pre_ping=True, future=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True, future=True, connect_args={"timeout": SQLITE_BUSY_SECONDS})


@contextmanager
def _one_migration_at_a_time(engine: Engine):
    """A cross-process lock held until the migration has committed: processes opening a new
    database at once must not both create it."""
    path = _sqlite_path(str(engine.url))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:  # a session lock, on a connection of its own
            connection.execute(text("select pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            try:
                yield
            finally:
                connection.execute(text("select pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
    elif path is not None:
        with open(path.with_name(path.name + ".migrate-lock"), "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)  # released when the file closes
            yield
    else:
        yield


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic), once per process and database."""
    from alembic import command
    from alembic.config import Config

    key = str(engine.url)
    with _lock:
        if key in _migrated:
            return
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with _one_migration_at_a_time(engine), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        _migrated.add(key)


def engine_for(url: str) -> Engine:
    engine = _engine(url)
    migrate(engine)
    return engine


# ------------------------------------------------------------------------------------------------
# writing


def ledger_rows(results: list[ItemResult], batch: str | None, price_version: str) -> list[dict[str, Any]]:
    """One row per item and path that did work (rejected and unreadable items cost nothing)."""
    at = now()
    return [
        {
            "at": at,
            "batch": batch,
            "item": r.id,
            "path": r.cost.path,
            "status": r.status,
            "cpu_s": r.cost.cpu_s or 0.0,
            "gpu_s": r.cost.gpu_s or 0.0,
            "gpu_type": r.cost.gpu_type,
            "review_min": 0.0,
            "cache_hit": r.cache_hit,
            "price_version": price_version,
            "usd": r.cost.usd,
        }
        for r in results
        if r.cost.path in PATHS
    ]


def audit_rows(results: list[ItemResult], batch: str | None) -> list[dict[str, Any]]:
    """The audit trail of every model edit: who asked what, which model, seed, output."""
    at = now()
    return [
        {
            "at": at,
            "batch": batch,
            "item": r.id,
            "event": "edit",
            "request": r.instruction,
            "image": r.image,
            "model": (r.model or {}).get("model"),
            "model_version": (r.model or {}).get("version"),
            "seed": (r.model or {}).get("seed"),
            "output": r.output,
            "status": r.status,
            "who": r.requested_by,
        }
        for r in results
        if r.route == "model"
    ]


def record_batch(url: str, results: list[ItemResult], batch: str | None, price_version: str) -> int:
    """Write the batch's ledger and audit rows; returns the number of ledger rows."""
    rows, trail = ledger_rows(results, batch, price_version), audit_rows(results, batch)
    with engine_for(url).begin() as connection:
        if rows:
            connection.execute(insert(ledger), rows)
        if trail:
            connection.execute(insert(audit), trail)
    return len(rows)


def record_review(
    url: str,
    item: str,
    batch: str | None,
    decision: ReviewDecision,
    review_min: float,
    usd: float,
    price_version: str,
) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(
            insert(ledger).values(
                at=now(),
                batch=batch,
                item=item,
                path="review",
                status=decision.decision,
                review_min=review_min,
                price_version=price_version,
                usd=usd,
            )
        )
        connection.execute(
            insert(audit).values(
                at=now(),
                batch=batch,
                item=item,
                event="decision",
                request=decision.instruction,
                output=decision.output,
                decision=decision.decision,
                who=decision.reviewer,
                note=decision.note,
            )
        )


# ------------------------------------------------------------------------------------------------
# reading


def spent_today_usd(url: str, path: str = "model") -> float:
    start = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC)
    with engine_for(url).connect() as connection:
        total = connection.execute(
            select(func.coalesce(func.sum(ledger.c.usd), 0.0)).where(
                ledger.c.path == path, ledger.c.at >= start
            )
        ).scalar()
    return float(total or 0.0)


def _zero() -> dict[str, float]:
    return {"items": 0, "delivered": 0, "cpu_s": 0.0, "gpu_s": 0.0, "review_min": 0.0, "usd": 0.0}


def totals(url: str, since: datetime | None = None, by: str = "path") -> dict[str, Any]:
    """Items (and those delivered: published or waiting for review), seconds, review minutes
    and USD per path (or day, or batch), plus cache hits."""
    query = select(ledger)
    if since is not None:
        query = query.where(ledger.c.at >= since)
    by_path = {path: _zero() for path in PATHS}
    grouped: dict[str, dict[str, float]] = defaultdict(_zero)
    cache_hits = 0
    with engine_for(url).connect() as connection:
        for row in connection.execute(query).mappings():
            key = {"path": row["path"], "day": row["at"].date().isoformat(), "batch": row["batch"] or "-"}[by]
            for target in (by_path[row["path"]], grouped[key]):
                target["items"] += 1
                target["delivered"] += row["status"] in ("published", "review", "approve")
                for field in ("cpu_s", "gpu_s", "review_min", "usd"):
                    target[field] += row[field] or 0.0
            cache_hits += bool(row["cache_hit"])
    rounded = {name: {k: round(v, 10) for k, v in values.items()} for name, values in by_path.items()}
    return {
        "by_path": rounded,
        "groups": {k: {f: round(v, 10) for f, v in g.items()} for k, g in sorted(grouped.items())},
        "cache_hits": cache_hits,
        "total_usd": round(sum(v["usd"] for v in by_path.values()), 10),
    }


# ------------------------------------------------------------------------------------------------
# model edits deferred by the daily GPU budget


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


# ------------------------------------------------------------------------------------------------
# uploads taken in (events arrive at least once)


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


# ------------------------------------------------------------------------------------------------
# the edit cache


def cached_edit(url: str, key: str) -> dict[str, Any] | None:
    with engine_for(url).connect() as connection:
        row = connection.execute(select(edit_cache.c.result).where(edit_cache.c.key == key)).first()
    return dict(row[0]) if row else None


def remember_edit(url: str, key: str, output: str, result: ItemResult) -> None:
    """Index an edit's result; the first of two processes doing the same edit at once wins."""
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            if connection.execute(select(edit_cache.c.key).where(edit_cache.c.key == key)).first():
                return
            connection.execute(
                insert(edit_cache).values(key=key, at=now(), output=output, result=result.to_dict())
            )
    except IntegrityError:
        return
