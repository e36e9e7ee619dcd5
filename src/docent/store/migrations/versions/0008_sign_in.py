"""The sign-in audit log: every attempt on a username, and how it ended (the throttle reads it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "sign_in_attempts" in sa.inspect(op.get_bind()).get_table_names():  # a database adopted from create_all
        return
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_attempts_username_at", "sign_in_attempts", ["username", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempts_username_at", "sign_in_attempts")
    op.drop_table("sign_in_attempts")
