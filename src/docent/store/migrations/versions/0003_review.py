"""Review: users, the review queue and its audit log, answer feedback, golden sets.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("held", sa.Boolean, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("index_version", sa.String(32), nullable=False),
        sa.Column("grounding_score", sa.Float),
        sa.Column("retrieval_score", sa.Float),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claim_expires_at", Stamp),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", Stamp),
        sa.Column("final_answer", sa.Text),
        sa.Column("reject_category", sa.String(32)),
        sa.Column("reject_note", sa.Text),
        sa.UniqueConstraint("message_id", name="uq_review_items_message_id"),
    )
    op.create_index("ix_review_items_status_created_at", "review_items", ["status", "created_at"])
    for column in ("reason", "model", "index_version"):
        op.create_index(f"ix_review_items_{column}", "review_items", [column])
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
        sa.Column("at", Stamp, nullable=False),
    )
    op.create_index("ix_review_actions_item_id", "review_actions", ["item_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("username", sa.String(64)),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("message_id", "username", name="uq_feedback_message_username"),
    )
    op.create_index("ix_feedback_message_id", "feedback", ["message_id"])
    op.create_table(
        "golden_sets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "golden_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("set_name", sa.String(64), sa.ForeignKey("golden_sets.name"), nullable=False),
        sa.Column("added_in_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("reference_answer", sa.Text, nullable=False),
        sa.Column("reference_chunk_ids", sa.JSON, nullable=False),
        sa.Column("provenance", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.UniqueConstraint("set_name", "question", "kind", name="uq_golden_items_set_question_kind"),
    )


def downgrade() -> None:
    for name in ("golden_items", "golden_sets", "feedback", "review_actions", "review_items", "users"):
        op.drop_table(name)
