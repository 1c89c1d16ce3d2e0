"""Upload claims become leases: a state, an expiry, attempts and the next try.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("uploads") as table:  # SQLite: copy-and-move
        table.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="done"))
        table.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("error", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as table:
        for column in ("error", "next_try_at", "attempts", "expires_at", "state"):
            table.drop_column(column)
