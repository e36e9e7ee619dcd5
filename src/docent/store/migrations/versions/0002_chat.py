"""Chat: conversations, messages (each answer with its state), LLM call traces and retrievals.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("user_id", sa.String(128)),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("state", sa.String(16)),
        sa.Column("error_code", sa.String(32)),
        sa.Column("error_message", sa.Text),
        sa.Column("question", sa.Text),
        sa.Column("standalone_question", sa.Text),
        sa.Column("model", sa.String(200)),
        sa.Column("filters", sa.JSON),
        sa.Column("citations", sa.JSON),
        sa.Column("grounding", sa.JSON),
        sa.Column("usage", sa.JSON),
        sa.Column("cost", sa.Float),
        sa.Column("metrics", sa.JSON),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("owner", sa.String(128)),
        sa.Column("heartbeat_at", Stamp),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("started_at", Stamp),
        sa.Column("first_token_at", Stamp),
        sa.Column("ended_at", Stamp),
        sa.Column("finalized_at", Stamp),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_index("ix_messages_state", "messages", ["state"])
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_table(
        "traces",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("prompt_hash", sa.String(64), nullable=False),
        sa.Column("prompt_version", sa.String(16), nullable=False),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("cost", sa.Float),
        sa.Column("latency_ms", sa.Float),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("cache_hit", sa.Boolean, nullable=False),
        sa.Column("error", sa.String(64)),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_index("ix_traces_message_id", "traces", ["message_id"])
    op.create_table(
        "retrievals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(36), sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("index_version", sa.String(32), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("k", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("chunk_ids", sa.JSON, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_index("ix_retrievals_message_id", "retrievals", ["message_id"])


def downgrade() -> None:
    for name in ("retrievals", "traces", "messages", "conversations"):
        op.drop_table(name)
