"""Plain helpers the review tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from docent.access import Principal, Role
from docent.review.queue import ReviewQueue
from docent.store.chat import ChatStore

T0 = datetime(2025, 3, 1, 9, tzinfo=timezone.utc)
ALICE = Principal(id="1", username="alice", role=Role.REVIEWER, disabled=False)
BOB = Principal(id="2", username="bob", role=Role.REVIEWER, disabled=False)


def answered(url: str, question: str = "What is the hotel cap?", text: str = "180 euros a night [1][2].",
             chunk_ids: tuple[str, ...] = ("c1", "c2", "c1")) -> str:
    """A completed answer that cited ``chunk_ids``; returns its message id."""
    chat = ChatStore(url)
    _, mid = chat.record_question(conversation_id=None, question=question, model="m", filters=None, user_id="asker-id")
    chat.transition(mid, "streaming")
    citations = [{"n": n, "chunk_id": c, "doc_id": "d1", "snippet": "…"} for n, c in enumerate(chunk_ids, 1)]
    chat.finalize(mid, state="completed", content=text, citations=citations)
    return mid


def enqueue(queue: ReviewQueue, message_id: str, **kw) -> int:
    defaults = dict(reason="sample", held=False, question="What is the hotel cap?", answer="180 euros a night [1][2].",
                    model="m", index_version="v1", grounding_score=0.9, retrieval_score=1.5)
    return queue.enqueue(message_id, **{**defaults, **kw})


class Clock:
    """A settable clock, so leases can run out without sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now
