"""The chat tables: conversations, their messages, and what each answer cost (LLM calls, retrievals).

An assistant message carries its own state machine (see :mod:`docent.chat.states`), so a reader in
another process can tell a finished answer from one still streaming, or one whose server died.
Schema changes here need a migration in ``docent/store/migrations/versions``: a test compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docent.store.db import metadata

Stamp = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map = {float: sa.Float, datetime: Stamp, dict[str, Any]: sa.JSON, list[Any]: sa.JSON}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    title: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[str | None] = mapped_column(sa.String(128), index=True)  # the owner (docent.access)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        sa.Index("ix_messages_state", "state"),
        sa.Index("ix_messages_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(sa.ForeignKey("conversations.id"), index=True)
    seq: Mapped[int]
    role: Mapped[str] = mapped_column(sa.String(16))  # user | assistant
    user_id: Mapped[str | None] = mapped_column(sa.String(128), index=True)  # who asked: the conversation's owner
    content: Mapped[str] = mapped_column(sa.Text)  # the question, or the (partial) answer
    state: Mapped[str | None] = mapped_column(sa.String(16))  # assistant rows only
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    question: Mapped[str | None] = mapped_column(sa.Text)
    standalone_question: Mapped[str | None] = mapped_column(sa.Text)
    model: Mapped[str | None] = mapped_column(sa.String(200))
    filters: Mapped[dict[str, Any] | None]
    citations: Mapped[list[Any] | None]
    grounding: Mapped[list[Any] | None]  # one row per answer sentence: is it supported, by which source
    usage: Mapped[dict[str, Any] | None]
    cost: Mapped[float | None]
    metrics: Mapped[dict[str, Any] | None]  # command_ms, retrieval_ms, ttft_ms, finalize_lag_ms, ...
    cache_hit: Mapped[bool] = mapped_column(default=False)
    owner: Mapped[str | None] = mapped_column(sa.String(128))  # host:pid of the process streaming it
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    first_token_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    finalized_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]  # by a process that does not stream it; the streamer stops


class Trace(Base):
    """One LLM call: enough to reproduce it (model, parameters, prompt hash and version) and to bill it."""

    __tablename__ = "traces"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str | None] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # generate | rewrite | judge
    model: Mapped[str] = mapped_column(sa.String(200))
    parameters: Mapped[dict[str, Any]]
    prompt_hash: Mapped[str] = mapped_column(sa.String(64))
    prompt_version: Mapped[str] = mapped_column(sa.String(16))
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    cost: Mapped[float | None]
    latency_ms: Mapped[float | None]
    ttft_ms: Mapped[float | None]
    cache_hit: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(sa.String(64))  # an error code
    created_at: Mapped[datetime]


class Retrieval(Base):
    """What an answer was grounded on: the chunks, their scores, and the index version they came from."""

    __tablename__ = "retrievals"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    index_version: Mapped[str] = mapped_column(sa.String(32))
    query: Mapped[str] = mapped_column(sa.Text)
    mode: Mapped[str] = mapped_column(sa.String(16))
    k: Mapped[int]
    latency_ms: Mapped[float]
    chunk_ids: Mapped[list[Any]]
    scores: Mapped[list[Any]]
    sources: Mapped[list[Any] | None]  # the numbered chunks with their text, as the model saw them (review, evaluation)
    created_at: Mapped[datetime]


class User(Base):
    """Who may sign in to the review app, and as what (reviewer, analyst, admin)."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("username", name="uq_users_username"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    password_hash: Mapped[str] = mapped_column(sa.Text)  # argon2id, never the password
    role: Mapped[str] = mapped_column(sa.String(16))  # member | reviewer | analyst | admin (docent.access)
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class SignInAttempt(Base):
    """The sign-in audit log: every attempt on a username (known or not), and how it ended."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (sa.Index("ix_sign_in_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))  # ok | wrong | throttled | disabled
    at: Mapped[datetime]


class AppSession(Base):
    """A signed-in browser (docent.review.sessions): only the token id's SHA-256 is kept, never the token."""

    __tablename__ = "app_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiKey(Base):
    """A personal API key (docent.review.api_keys): its visible prefix and the SHA-256 of the whole key."""

    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """A refused request: who (if known), what they tried, and why it was refused."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(64))  # a user id, or "" when nobody could be told
    action: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str] = mapped_column(sa.Text, default="")


class ReviewItem(Base):
    """One answer waiting for (or given) a human decision; claims are leases so a vanished reviewer frees it."""

    __tablename__ = "review_items"
    __table_args__ = (
        sa.UniqueConstraint("message_id", name="uq_review_items_message_id"),
        sa.Index("ix_review_items_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id"))
    status: Mapped[str] = mapped_column(sa.String(16))  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(sa.String(32), index=True)  # sample | low_grounding | ... | feedback
    held: Mapped[bool]  # the asker was not shown the answer and waits for the decision
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text)
    model: Mapped[str] = mapped_column(sa.String(200), index=True)
    index_version: Mapped[str] = mapped_column(sa.String(32), index=True)
    grounding_score: Mapped[float | None]
    retrieval_score: Mapped[float | None]
    cache_hit: Mapped[bool]
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claim_expires_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None]
    final_answer: Mapped[str | None] = mapped_column(sa.Text)  # the approved text, edited or not
    reject_category: Mapped[str | None] = mapped_column(sa.String(32))
    reject_note: Mapped[str | None] = mapped_column(sa.Text)


class ReviewAction(Base):
    """The audit log: who claimed, released, approved, edited or rejected what, with before and after."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("review_items.id"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(16))  # claim | release | approve | edit | reject
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    at: Mapped[datetime]


class Feedback(Base):
    """An asker's thumbs up (+1) or down (-1); one per signed-in user and answer, a new vote replacing the old."""

    __tablename__ = "feedback"
    __table_args__ = (sa.UniqueConstraint("message_id", "username", name="uq_feedback_message_username"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(64))
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class GoldenSet(Base):
    """A named evaluation set; its version goes up with every item added or replaced."""

    __tablename__ = "golden_sets"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    version: Mapped[int]
    updated_at: Mapped[datetime]


class GoldenItem(Base):
    """A reviewed question with its reference answer (positive) or a known-bad answer and why (negative)."""

    __tablename__ = "golden_items"
    __table_args__ = (sa.UniqueConstraint("set_name", "question", "kind", name="uq_golden_items_set_question_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    set_name: Mapped[str] = mapped_column(sa.ForeignKey("golden_sets.name"))
    added_in_version: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))  # positive | negative
    question: Mapped[str] = mapped_column(sa.Text)
    reference_answer: Mapped[str] = mapped_column(sa.Text)
    reference_chunk_ids: Mapped[list[Any]]
    provenance: Mapped[dict[str, Any]]
    reason: Mapped[str | None] = mapped_column(sa.Text)  # negative items: the reject category and note
    created_at: Mapped[datetime]
