"""Alembic environment for Retouch's ledger (run by tasks.record.ledger.db.migrate, not by hand)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from tasks.record.ledger.db import VERSION_TABLE, metadata

config = context.config
connectable = config.attributes.get("connection")


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connectable is not None:
    run(connectable)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        run(connection)
