"""The ledger (cost per item and path), the audit log, and the edit cache.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.String(64)),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("path", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("cpu_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("gpu_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("gpu_type", sa.String(64)),
        sa.Column("review_min", sa.Float, nullable=False, server_default="0"),
        sa.Column("cache_hit", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("price_version", sa.String(32)),
        sa.Column("usd", sa.Float, nullable=False, server_default="0"),
    )
    op.create_index("ix_ledger_at", "ledger", ["at"])
    op.create_index("ix_ledger_batch", "ledger", ["batch"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.String(64)),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),  # edit | decision
        sa.Column("request", sa.Text),
        sa.Column("image", sa.Text),
        sa.Column("model", sa.String(200)),
        sa.Column("model_version", sa.String(200)),
        sa.Column("seed", sa.BigInteger),
        sa.Column("output", sa.Text),
        sa.Column("status", sa.String(16)),
        sa.Column("decision", sa.String(16)),
        sa.Column("who", sa.String(200)),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_item", "audit", ["item"])
    op.create_table(
        "edit_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("edit_cache")
    op.drop_table("audit")
    op.drop_table("ledger")
