"""The ledger keeps the gate's risk of each checked edit, and the threshold it was judged by
(the review rate and the cost a threshold implies: `retouch gate costs`).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("ledger") as table:
        table.add_column(sa.Column("risk", sa.Float))
        table.add_column(sa.Column("risk_threshold", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("ledger") as table:
        table.drop_column("risk_threshold")
        table.drop_column("risk")
