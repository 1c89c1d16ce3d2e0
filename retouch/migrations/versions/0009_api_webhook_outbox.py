"""The API's webhooks go through an outbox: each state change of a job that names a webhook is a
row, written with the change, that a sender delivers (and retries) until it is delivered or out
of tries; a process that dies leaves its undelivered rows to the next one.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "api_webhooks",
        sa.Column("id", sa.String(120), primary_key=True),  # the webhook-id: one per job and event
        sa.Column("job_id", sa.String(40), nullable=False, index=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("api_webhooks")
