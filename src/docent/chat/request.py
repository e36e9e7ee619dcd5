"""A question the command path accepted, and the error for one it refused."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from docent.chat.attachments import Picture


class ChatRequestError(ValueError):
    """A command refused before anything was recorded; the message says what to change."""


class UnknownId(ChatRequestError):
    """No such conversation or answer among the principal's own (another person's reads the same)."""


class UnknownIndexVersion(ChatRequestError):
    """An index version to answer from that does not exist, is ambiguous, or is not built yet."""


class Busy(ChatRequestError):
    """Too many answers in progress (for the process, or for this person): try again shortly."""


@dataclass
class Request:
    """What the command path recorded, kept in memory so the stream need not read it back."""

    message_id: str
    conversation_id: str
    question: str
    filters: dict | None
    model: str
    new_conversation: bool
    user_id: str  # who asked (docent.access.Principal.id)
    command_ms: float | None = None
    picture: Picture | None = None  # attached to the question; kept in memory only (not recorded)
    history: list[tuple[str, str]] | None = None  # earlier (role, text) turns sent with it, instead of the stored ones
    index_version: str | None = None  # answer from this index version, not the live one (kept in memory only)
    accepted_at: float = field(default_factory=time.monotonic)  # a pending request nobody streams expires
