"""Ingestion and index state: manifest, ingest batches, index versions and aliases, alerts.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

These tables existed before migrations did (``metadata.create_all``), and a process only created the
tables of the modules it had imported. So this baseline adopts such a database: it creates only the
tables that are missing and leaves existing ones, and their rows, alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def _missing(name: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if _missing("manifest"):
        op.create_table(
            "manifest",
            sa.Column("version", sa.String(32), primary_key=True),
            sa.Column("doc_id", sa.String(36), primary_key=True),
            sa.Column("source_uri", sa.Text, nullable=False),
            sa.Column("content_hash", sa.String(64), nullable=False),
            sa.Column("size", sa.BigInteger, nullable=False),
            sa.Column("mtime", sa.Float, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("stage", sa.String(16)),
            sa.Column("error", sa.Text),
            sa.Column("chunks", sa.Integer, nullable=False),
            sa.Column("updated_at", Stamp, nullable=False),
        )
        op.create_index("ix_manifest_source_uri", "manifest", ["source_uri"])
    if _missing("ingest_batches"):
        op.create_table(
            "ingest_batches",
            sa.Column("batch_id", sa.String(40), primary_key=True),
            sa.Column("version", sa.String(32), nullable=False),
            sa.Column("root", sa.Text, nullable=False),
            sa.Column("files", sa.JSON, nullable=False),
            sa.Column("created_at", Stamp, nullable=False),
        )
    if _missing("index_versions"):
        op.create_table(
            "index_versions",
            sa.Column("version", sa.String(32), primary_key=True),
            sa.Column("backend", sa.String(16), nullable=False),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("config", sa.JSON, nullable=False),
            sa.Column("created_at", Stamp, nullable=False),
            sa.Column("built_at", Stamp),
        )
    if _missing("index_aliases"):
        op.create_table(
            "index_aliases",
            sa.Column("alias", sa.String(32), primary_key=True),
            sa.Column("version", sa.String(32), nullable=False),
            sa.Column("previous", sa.String(32)),
            sa.Column("switched_at", Stamp, nullable=False),
        )
    if _missing("alerts"):
        op.create_table(
            "alerts",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("created_at", Stamp, nullable=False),
            sa.Column("kind", sa.String(64), nullable=False),
            sa.Column("severity", sa.String(16), nullable=False),
            sa.Column("source", sa.Text, nullable=False),
            sa.Column("message", sa.Text, nullable=False),
        )


def downgrade() -> None:
    for name in ("alerts", "index_aliases", "index_versions", "ingest_batches", "manifest"):
        op.drop_table(name)
