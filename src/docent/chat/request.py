"""A question the command path accepted, and the error for one it refused.

A refusal is a sentence for the asker: it says what to change and names no setting, which an asker
cannot change; the log names it for the admins (logger ``docent.chat``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from docent.chat.attachments import Picture

log = logging.getLogger("docent.chat")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # any control character but tab and newline


class ChatRequestError(ValueError):
    """A command refused before anything was recorded; the message says what to change."""


class UnknownId(ChatRequestError):
    """No such conversation or answer among the principal's own (another person's reads the same)."""


class UnknownIndexVersion(ChatRequestError):
    """An index version to answer from that does not exist, is ambiguous, or is not built yet."""


class Busy(ChatRequestError):
    """Too many answers in progress (for the process, or for this person): try again shortly."""


def sentence(message: object) -> str:
    """A lower layer's message (an exception's) as a refusal: starting with a capital."""
    text = str(message)
    return text[:1].upper() + text[1:]


def check_question(question: object, max_chars: int) -> str:
    """``question`` stripped, or ChatRequestError saying what to change (``max_chars``: chat.max_question_chars)."""
    if not isinstance(question, str) or not question.strip():
        raise ChatRequestError("The question is empty: type a question.")
    question = question.strip()
    if _CONTROL.search(question):
        raise ChatRequestError("The question holds control characters (NUL, escape sequences…): "
                               "type it again as plain text.")
    if len(question) > max_chars:
        log.info("refused a question of %d characters (chat.max_question_chars: %d)", len(question), max_chars)
        raise ChatRequestError(f"The question is {len(question):,} characters long; the limit is {max_chars:,}: "
                               "shorten it.")
    return question


def check_history(history: list[tuple[str, str]] | None) -> None:
    """ChatRequestError unless every earlier turn is a (user|assistant, plain text) pair."""
    if history is not None and any(role not in ("user", "assistant") or not isinstance(text, str) or
                                   _CONTROL.search(text) for role, text in history):
        raise ChatRequestError("History turns must be (user|assistant, plain text) pairs.")


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
