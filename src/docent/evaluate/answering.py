"""Answering a golden set through the real chat path (rewrite, retrieval, prompt, model, citations,
grounding) over a chosen index version, without touching production state.

The answers go to a throwaway SQLite store and no cache or review queue is attached, so an
evaluation neither pollutes the production traces nor gets served a cached answer.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

from docent.access import service_account
from docent.chat.service import ChatService
from docent.chat.states import State
from docent.evaluate.cases import EvalCase, sources_from
from docent.evaluate.golden_set import GoldenCase, evidence_chunks
from docent.index.versions import IndexVersion
from docent.settings import Settings
from docent.store.chat import ChatStore
from docent.store.db import engine_for

EVALUATOR = service_account("evaluation")


def answer_golden(
    ws,
    items: list[GoldenCase],
    version: IndexVersion,
    settings: Settings | None = None,
    concurrency: int = 2,
    on_progress: Callable[[int], None] | None = None,
) -> list[EvalCase]:
    """One case per item, answered by ``settings.chat`` over ``version`` (references resolved in that version)."""
    settings = settings or ws.settings
    settings = settings.model_copy(update={
        "review": settings.review.model_copy(update={"policy": "auto", "sample_rate": 0.0}),
        "chat": settings.chat.model_copy(update={"max_streams_per_user": max(settings.chat.max_streams_per_user, concurrency)}),
    })
    reader = ws.reader(version)
    with tempfile.TemporaryDirectory(prefix="docent-eval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'answers.db'}"
        service = ChatService.from_workspace(ws, settings, store=ChatStore(url), retriever=reader, answer_cache=None,
                                             review_queue=None, feedback=None, doc_hashes=lambda _ids: {})
        try:
            ids = asyncio.run(_ask_all(service, [i.question for i in items], concurrency, on_progress))
            service.close()
            cases = [_case(service.store, item, mid, reader) for item, mid in zip(items, ids)]
        finally:
            engine_for(url).dispose()
    return cases


async def _ask_all(service: ChatService, questions: list[str], concurrency: int, on_progress) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(question: str) -> str:
        async with gate:
            message_id = await asyncio.to_thread(service.start, EVALUATOR, question)
            async for _event in service.stream(EVALUATOR, message_id):
                pass
            if on_progress:
                on_progress(1)
            return message_id

    return list(await asyncio.gather(*(one(q) for q in questions)))


def _case(store: ChatStore, item: GoldenCase, message_id: str, reader) -> EvalCase:
    msg, retrieval = store.get_message(message_id), store.retrieval_for(message_id) or {}
    failed = msg.state != State.COMPLETED
    references = item.reference_chunk_ids or (evidence_chunks(reader.index, item.reference_contexts) if item.reference_contexts else [])
    return EvalCase(
        key=item.id, question=item.question, answer="" if failed else msg.content, sources=sources_from(retrieval),
        model=msg.model or "", index_version=retrieval.get("index_version") or reader.version, citations=msg.citations or [],
        grounding=msg.grounding, reference=item.reference_answer or None, reference_ids=references,
        reference_contexts=item.reference_contexts, reasons=[item.kind], answered_at=msg.created_at, failed=failed,
        error=f"{msg.error_code}: {msg.error_message}" if failed else None,
    )
