"""The HTTP API: its keys (only a hash of each is kept) and its jobs.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("daily_usd", sa.Float),
    )
    op.create_table(
        "api_jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key_name", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(200)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key_name", "client_id", name="uq_api_jobs_client_id"),
    )
    op.create_index("ix_api_jobs_key_created", "api_jobs", ["key_name", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_api_jobs_key_created", "api_jobs")
    op.drop_table("api_jobs")
    op.drop_table("api_keys")
