"""The manifest says what OCR did to each document: its pages, how many were OCR'd, the mean word
confidence, and notes on pages that gave nothing or read poorly.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (("pages", sa.Integer), ("ocr_pages", sa.Integer), ("ocr_confidence", sa.Float), ("notes", sa.Text))


def upgrade() -> None:
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("manifest")}
    missing = [(name, kind) for name, kind in _COLUMNS if name not in have]  # a database adopted from create_all has them
    if missing:
        with op.batch_alter_table("manifest") as batch:
            for name, kind in missing:
                batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("manifest") as batch:
        for name, _ in _COLUMNS:
            batch.drop_column(name)
