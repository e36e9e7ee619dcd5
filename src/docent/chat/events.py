"""What :meth:`ChatService.stream` yields, in order: Sources, Token… (or Held), then Final or Error.

Plain frozen dataclasses with a ``kind`` tag, so a UI can ``match`` on the type and an HTTP API
can send ``asdict(event)`` as server-sent events unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from docent.generate.prompts import Source


@dataclass(frozen=True)
class SourcesEvent:
    """The retrieved chunks the answer may cite, numbered as its ``[n]`` markers."""

    message_id: str
    question: str  # the standalone question that was searched
    sources: list[Source]
    kind: Literal["sources"] = "sources"


@dataclass(frozen=True)
class TokenEvent:
    message_id: str
    text: str
    kind: Literal["token"] = "token"


@dataclass(frozen=True)
class FinalEvent:
    """The answer is over: ``state`` is completed or cancelled; ``text`` has invalid markers removed."""

    message_id: str
    state: str
    text: str
    citations: list[dict] = field(default_factory=list)
    invalid_markers: list[int] = field(default_factory=list)
    cache_hit: bool = False
    metrics: dict = field(default_factory=dict)
    held: bool = False  # the answer waits for a reviewer: ``text`` is empty until one approves it
    approved: bool = False  # a reviewer approved this (curated) answer
    usage: dict = field(default_factory=dict)  # the model call's prompt/completion/total tokens (none when cached)
    kind: Literal["final"] = "final"


@dataclass(frozen=True)
class HeldEvent:
    """The review policy holds this answer: the asker sees a notice, then the approved text later."""

    message_id: str
    reason: str
    kind: Literal["held"] = "held"


@dataclass(frozen=True)
class ErrorEvent:
    """The answer failed: ``code`` for programs, ``message`` for people, ``text`` what had streamed."""

    message_id: str
    code: str
    message: str
    text: str = ""
    kind: Literal["error"] = "error"


ChatEvent = SourcesEvent | TokenEvent | HeldEvent | FinalEvent | ErrorEvent
