"""Retrieval records keep the text of the chunks the model saw (reviewers and evaluation read it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("retrievals") as batch:
        batch.add_column(sa.Column("sources", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retrievals") as batch:
        batch.drop_column("sources")
