"""API jobs hold a lease while they run: the process running one beats its heart on it, so a job
whose process died (kill -9, a crash, a lost host) is found and run again, or failed with why.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("api_jobs") as table:
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("api_jobs") as table:
        table.drop_column("attempts")
        table.drop_column("heartbeat_at")
