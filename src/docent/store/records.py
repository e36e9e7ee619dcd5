"""What the chat repository hands out: frozen records with UTC-aware timestamps.

SQLite gives naive datetimes back (they were written as UTC); every record is normalised here so
callers can compare and subtract timestamps from either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class ConversationRecord:
    id: str
    title: str | None
    user_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MessageRecord:
    id: str
    conversation_id: str
    seq: int
    role: str
    user_id: str | None
    content: str
    state: str | None
    error_code: str | None
    error_message: str | None
    question: str | None
    standalone_question: str | None
    model: str | None
    filters: dict | None
    citations: list | None
    grounding: list | None
    usage: dict | None
    cost: float | None
    metrics: dict | None
    cache_hit: bool
    owner: str | None
    heartbeat_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    first_token_at: datetime | None
    ended_at: datetime | None
    finalized_at: datetime | None
    cancel_requested_at: datetime | None = None


def utc_now() -> datetime:
    """The one clock of the stores (UTC-aware); stores that tests drive in time take it as a parameter."""
    return datetime.now(timezone.utc)


def as_utc(value: Any) -> Any:
    """Datetimes as UTC-aware (naive ones are UTC: that is how they were written); anything else as is."""
    if not isinstance(value, datetime):
        return value
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def columns_of(obj: Any) -> dict:
    """A mapped object's columns (what the records hold), timestamps UTC-aware."""
    return {c.key: as_utc(getattr(obj, c.key)) for c in sa.inspect(obj).mapper.column_attrs}
