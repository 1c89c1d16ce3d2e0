"""The ledger's database: its tables, the engine per URL, and migrations on first use.

SQLAlchemy Core on RETOUCH_DB_URL: SQLite under the data folder by default, PostgreSQL by URL
(postgresql+psycopg://...). The schema belongs to the project: Alembic migrations in
retouch/migrations run automatically the first time a process opens the database; processes
that open a new database at the same moment (a worker starting several runs) take turns: a
PostgreSQL advisory lock, or a lock file beside the SQLite file.
"""

from __future__ import annotations

import fcntl
import threading
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

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
    text,
)

MIGRATIONS = Path(__file__).resolve().parents[3] / "retouch" / "migrations"
VERSION_TABLE = "retouch_alembic_version"  # beside Prefect's own alembic_version, when shared
# The newest revision in MIGRATIONS (tests/test_ledger.py holds it to Alembic's own reading): a
# database already there is opened without loading Alembic (a tenth of a second a process).
HEAD_REVISION = "0009"
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
    Column("risk", Float),  # the gate's risk of a checked edit (None: not checked)
    Column("risk_threshold", Float),  # ... and the threshold it was published below or not
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
    Column("references", JSON),  # pictures 2, 3... of a multi-image edit
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
    Column("flow_run", String(64)),  # the holder of the lease
    Column("state", String(16), nullable=False, default="running"),  # running|done|retry|failed
    Column("expires_at", DateTime(timezone=True)),  # a running claim older than this was lost
    Column("attempts", Integer, nullable=False, default=1),
    Column("next_try_at", DateTime(timezone=True)),  # when a failed attempt may be retried
    Column("error", Text),
)
api_keys = Table(
    "api_keys",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("hash", String(64), nullable=False, unique=True),  # SHA-256 of the key: never the key
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("daily_usd", Float),  # this key's spending quota per day (None: the setting's)
)
api_jobs = Table(
    "api_jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key_name", String(100), nullable=False),
    Column("client_id", String(200)),  # the client's own id: a repeated request is the same job
    Column("kind", String(16), nullable=False),  # edit | batch
    Column("status", String(16), nullable=False),  # queued|running|published|review|rejected|failed|cancelled
    Column("request", JSON, nullable=False),
    Column("result", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True)),  # a running job's lease: its process beats on it
    Column("attempts", Integer, nullable=False, server_default="0"),  # runs started
)
api_webhooks = Table(
    "api_webhooks",
    metadata,
    Column("id", String(120), primary_key=True),  # the webhook-id: one per job and event
    Column("job_id", String(40), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", DateTime(timezone=True), nullable=False),  # due (or claimed until)
    Column("delivered_at", DateTime(timezone=True)),
    Column("error", Text),  # the last failed try's
)
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


def _revision(engine: Engine) -> str | None:
    """The database's schema revision; None where it has none (yet)."""
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as connection:
            return connection.execute(text(f"select version_num from {VERSION_TABLE}")).scalar()
    except DBAPIError:  # no version table: a new database
        return None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic), once per process and database."""
    key = str(engine.url)
    with _lock:
        if key in _migrated:
            return
        if _revision(engine) == HEAD_REVISION:
            _migrated.add(key)
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with _one_migration_at_a_time(engine), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        _migrated.add(key)


def schema_revisions(url: str) -> tuple[str | None, str]:
    """(the database's schema revision or None when it has none yet, the newest revision),
    read without migrating (`retouch doctor`); raises when the database cannot be reached."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return None, head
    with _engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision(), head


def engine_for(url: str) -> Engine:
    engine = _engine(url)
    migrate(engine)
    return engine
