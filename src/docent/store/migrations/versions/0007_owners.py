"""Every conversation and answer has an owner: the user who asked. Conversations recorded before
owners were belong to ``legacy``, which only admins see (see :mod:`docent.access`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LEGACY = "legacy"  # docent.access.LEGACY_OWNER, written out: a migration must not change when the code does


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "user_id" not in {c["name"] for c in inspector.get_columns("messages")}:  # a database adopted from create_all has it
        with op.batch_alter_table("messages") as batch:
            batch.add_column(sa.Column("user_id", sa.String(128), nullable=True))
    if "ix_messages_user_id" not in {i["name"] for i in inspector.get_indexes("messages")}:
        op.create_index("ix_messages_user_id", "messages", ["user_id"])
    if "ix_conversations_user_id" not in {i["name"] for i in inspector.get_indexes("conversations")}:
        op.create_index("ix_conversations_user_id", "conversations", ["user_id"])
    conversations = sa.table("conversations", sa.column("id"), sa.column("user_id"))
    messages = sa.table("messages", sa.column("conversation_id"), sa.column("user_id"))
    op.execute(conversations.update().where(conversations.c.user_id.is_(None)).values(user_id=LEGACY))
    owner = sa.select(conversations.c.user_id).where(conversations.c.id == messages.c.conversation_id).scalar_subquery()
    op.execute(messages.update().where(messages.c.user_id.is_(None)).values(user_id=owner))


def downgrade() -> None:
    op.drop_index("ix_conversations_user_id", "conversations")
    op.drop_index("ix_messages_user_id", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("user_id")
