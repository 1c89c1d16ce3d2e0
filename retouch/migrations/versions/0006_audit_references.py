"""The audit keeps the reference pictures of a multi-image edit.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("audit") as table:
        table.add_column(sa.Column("references", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("audit") as table:
        table.drop_column("references")
