"""Model edits deferred by the daily GPU budget, waiting to run.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "deferred",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("out_dir", sa.Text, nullable=False),
        sa.Column("job", sa.JSON, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("deferred")
