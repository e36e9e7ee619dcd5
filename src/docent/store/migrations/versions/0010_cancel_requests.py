"""A cancel asked of an answer that streams in another process (another API worker) waits in the row.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("messages")}
    if "cancel_requested_at" not in columns:  # present when the database was adopted from create_all
        with op.batch_alter_table("messages") as batch:
            batch.add_column(sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("cancel_requested_at")
