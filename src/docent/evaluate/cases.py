"""What one evaluation scores: a question, the answer given, what it was grounded on, and the reference.

Production answers (read from the state store) and golden-set answers (produced by a run) become the
same :class:`EvalCase`, so one scorer serves both suites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from docent.generate.prompts import Source


@dataclass
class EvalCase:
    key: str  # the message id, or the golden item's id
    question: str
    answer: str
    sources: list[Source]  # the retrieved chunks in rank order, numbered as the model saw them
    model: str
    index_version: str
    citations: list[dict] = field(default_factory=list)
    grounding: list[dict] | None = None  # stored per-sentence grounding, when the chat already computed it
    reference: str | None = None
    reference_ids: list[str] = field(default_factory=list)
    reference_contexts: list[str] = field(default_factory=list)
    stratum: str = "golden"
    reasons: list[str] = field(default_factory=list)
    message_id: str | None = None  # production answers only
    answered_at: datetime | None = None
    failed: bool = False  # the answer ended in an error: nothing to score but the failure itself
    error: str | None = None

    @property
    def contexts(self) -> list[str]:
        return [s.text for s in self.sources]

    @property
    def retrieved_ids(self) -> list[str]:
        return [s.chunk_id for s in self.sources]


def sources_from(retrieval: dict | None) -> list[Source]:
    """The numbered sources a retrieval record kept (records older than migration 0004 kept none)."""
    return [Source(**s) for s in (retrieval or {}).get("sources") or []]
