"""Review decisions that reach beyond the queue: curated answers and answers sent to review.

Approving an answer also makes it a *curated answer*: it goes into the answer cache, marked
approved, for the question as first asked in a conversation, so the next person asking gets the
reviewed text. Like any cached answer it is withdrawn as soon as a document it cites changes.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from docent.chat.answer_cache import CachedAnswer, exact_key, scope_key
from docent.generate.prompts import PROMPT_VERSION

if TYPE_CHECKING:
    from docent.access import Principal
    from docent.chat.deps import ChatDeps
    from docent.review.queue import ReviewItem, ReviewQueue
    from docent.store.chat import ChatStore

_MARKER = re.compile(r"\[(\d+)\]")


def approve(chat: ChatDeps, queue: ReviewQueue, item_id: int, reviewer: Principal, edited_text: str | None = None) -> ReviewItem:
    """Approve (or correct and approve) an item, then serve it as the curated answer to its question."""
    item = queue.approve(item_id, reviewer, edited_text)
    curate(chat, item, reviewer.username)
    return item


def curate(chat: ChatDeps, item: ReviewItem, reviewer: str) -> bool:
    """Put the approved text in the answer cache; False when there is no cache or nothing it cites."""
    message = chat.store.get_message(item.message_id)
    if chat.answer_cache is None or message is None:
        return False
    text = item.final_answer or item.answer
    cited = {int(n) for n in _MARKER.findall(text)}
    citations = [c for c in message.citations or [] if c["n"] in cited]
    doc_ids = sorted({c["doc_id"] for c in citations})
    docs = chat.doc_hashes(doc_ids)
    if not citations or set(docs) != set(doc_ids):
        return False
    reader = chat.reader()
    question = message.standalone_question or message.question or item.question
    scope = scope_key(filters=message.filters, context="", index_version=reader.version,
                      model=message.model or chat.settings.chat.model, prompt_version=PROMPT_VERSION)
    retrieval = chat.store.retrieval_for(item.message_id) or {}
    answer = CachedAnswer(
        text=text, sources=retrieval.get("sources") or [], citations=citations, docs=docs,
        model=item.model, created_at=time.time(), question=question, approved_by=reviewer,
    )
    chat.answer_cache.put(exact_key(question, scope), scope, answer, reader.embedder.embed_query(question))
    return True


def send_to_review(store: ChatStore, queue: ReviewQueue, message_id: str, reason: str = "feedback") -> int:
    """Queue an answer someone flagged (an asker's thumbs-down, an analyst's drill-down), with the signals
    a reviewer needs. Whether the caller may see the answer is the caller's check (see ChatService.rate)."""
    message = store.get_message(message_id)
    if message is None:
        raise KeyError(f"no answer {message_id!r}")
    retrieval = store.retrieval_for(message_id) or {}
    grounding = message.metrics.get("supported_share") if message.metrics else None
    scores = retrieval.get("scores") or []
    return queue.enqueue(
        message_id, reason=reason, held=False, question=message.question or "", answer=message.content or "",
        model=message.model or "", index_version=retrieval.get("index_version", ""),
        grounding_score=grounding, retrieval_score=max(scores) if scores else None,
        cache_hit=message.cache_hit,
    )
