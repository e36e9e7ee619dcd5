"""The stream path: rewrite → cache → retrieve → prompt → relay tokens. It writes nothing.

A producer task runs the answer and puts events on a queue the caller's iterator reads, so
:meth:`ChatService.cancel` (from any thread) can cancel exactly that task: its ``finally`` closes
the provider connection, and the answer ends ``cancelled`` with the text streamed so far. A
caller that stops iterating cancels the same way. State changes, checkpoints of the partial
text and the final record all go to the finalizer's queue (see :mod:`docent.chat.outcome`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from docent.chat.answer_cache import CachedAnswer, exact_key, is_fresh, scope_key
from docent.chat.attachments import read_picture, vision
from docent.chat.context import fit, token_counter, widen
from docent.chat.events import ChatEvent, ErrorEvent, FinalEvent, HeldEvent, SourcesEvent, TokenEvent
from docent.chat.outcome import Outcome, Request, submit_outcome
from docent.chat.rewrite import rewrite
from docent.chat.states import State
from docent.generate.citations import ground, resolve, strip_invalid
from docent.generate.errors import MESSAGES, ProviderError
from docent.generate.llm import open_stream
from docent.generate.prompts import PROMPT_VERSION, Source, build_messages
from docent.review.policy import decide

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from docent.chat.service import ChatService, _Active

log = logging.getLogger("docent.chat")

HISTORY_WAIT_S = 5.0  # at most, for the previous answer of the conversation to be recorded
CHECKPOINT_S = 1.0  # partial text (and the owner's heartbeat) reach the store this often while streaming
_DONE = object()


async def run_stream(service: ChatService, message_id: str) -> AsyncIterator[ChatEvent]:
    from docent.chat.service import _Active

    started = time.perf_counter()
    request = service._take_request(message_id) or await asyncio.to_thread(_load, service, message_id)
    out = Outcome(request, started)
    active = _Active(asyncio.get_running_loop())
    service._register(message_id, active)
    service.finalizer.submit(
        lambda: service.store.transition(
            message_id, State.STREAMING, strict=False, started_at=out.started_at, owner=service.owner,
            heartbeat_at=out.started_at,
        ),
        f"mark {message_id} streaming",
    )
    events: asyncio.Queue = asyncio.Queue()
    active.task = asyncio.create_task(_produce(service, out, events.put_nowait, active))
    if active.cancelled:  # cancel() arrived between registration and the task's creation
        active.task.cancel()
    try:
        while (event := await events.get()) is not _DONE:
            yield event
    finally:
        if not active.task.done():  # the caller stopped listening: that is a cancel too
            active.task.cancel()
            await asyncio.gather(active.task, return_exceptions=True)


def _load(service: ChatService, message_id: str) -> Request:
    from docent.chat.service import ChatRequestError

    record = service.store.get_message(message_id)
    if record is None:
        raise ChatRequestError(f"no answer {message_id!r}: call start() first")
    if record.state != State.QUEUED:
        raise ChatRequestError(f"answer {message_id} is already {record.state}")
    return Request(message_id, record.conversation_id, record.question, record.filters, record.model, False)


async def _produce(service: ChatService, out: Outcome, emit: Callable[[object], None], active: _Active) -> None:
    message_id = out.request.message_id
    try:
        await _answer(service, out, emit, active)
    except asyncio.CancelledError:
        out.state = State.CANCELLED
        emit(FinalEvent(message_id, State.CANCELLED, out.text, metrics=out.metrics))
    except ProviderError as exc:
        _fail(out, emit, exc.code, exc.user_message, exc.detail)
    except Exception as exc:
        log.exception("answer %s failed", message_id)
        _fail(out, emit, "internal", MESSAGES["internal"], str(exc))
    finally:
        service._unregister(message_id)
        submit_outcome(service, out)
        emit(_DONE)


def _history(service: ChatService, conversation_id: str) -> list[tuple[str, str]]:
    """The conversation's last turns, once its previous answer is written: a follow-up asked the
    moment an answer ends would otherwise miss that answer (it is recorded in the background)."""
    service.finalizer.wait_for_tag(conversation_id, HISTORY_WAIT_S)  # a store that is down: go on without it
    return service.store.history(conversation_id, None, service.settings.chat.history_turns)


def _fail(out: Outcome, emit, code: str, message: str, detail: str) -> None:
    out.state, out.error_code, out.error_message = State.FAILED, code, detail or message
    emit(ErrorEvent(out.request.message_id, code, message, out.text))


async def _answer(service: ChatService, out: Outcome, emit: Callable[[object], None], active: _Active) -> None:
    chat, req = service.settings.chat, out.request
    held = service.settings.review.policy != "auto"  # answers may be held: tokens wait for the decision
    history = [] if req.new_conversation else await asyncio.to_thread(_history, service, req.conversation_id)
    out.standalone, trace = await rewrite(req.question, history, chat.rewrite_model, chat.first_token_timeout_s)
    if trace:
        out.traces.append(trace)
    reader = service.retriever.current() if hasattr(service.retriever, "current") else service.retriever
    cache = service.answer_cache if req.picture is None else None  # a picture's answer is its own
    seen = await asyncio.to_thread(read_picture, req.picture, service.settings.parsing) if req.picture else ""
    query = f"{out.standalone}\n{seen}" if seen else out.standalone
    context = hashlib.sha256(json.dumps(history).encode()).hexdigest() if history else ""
    out.scope = scope_key(
        filters=req.filters, context=context, index_version=reader.version, model=chat.model, prompt_version=PROMPT_VERSION
    )
    out.key = exact_key(out.standalone, out.scope)
    if cache is not None and (hit := await asyncio.to_thread(_lookup, service, lambda: cache.get(out.key), held)):
        return _serve_cached(out, hit, "exact", emit)
    out.vector = await asyncio.to_thread(reader.embedder.embed_query, query)
    threshold = service.settings.cache.semantic_threshold
    if cache is not None and threshold < 1.0:
        similar = lambda: (cache.find_similar(out.scope, out.vector, threshold) or (None,))[0]  # noqa: E731
        if hit := await asyncio.to_thread(_lookup, service, similar, held):
            return _serve_cached(out, hit, "semantic", emit)

    began = time.perf_counter()
    hits = await asyncio.to_thread(reader.search, query, filters=req.filters, vector=out.vector)
    out.metrics["retrieval_ms"] = round((time.perf_counter() - began) * 1000, 2)
    count = token_counter(chat.model)
    fitted = fit([Source.from_hit(i + 1, h) for i, h in enumerate(hits)], chat.context_tokens, count)
    out.sources = await asyncio.to_thread(widen, fitted, reader.index, chat.context_tokens, count) if chat.widen else fitted
    out.retrieval = {
        "index_version": reader.version, "query": query, "mode": reader.settings.mode,
        "k": reader.settings.k, "latency_ms": out.metrics["retrieval_ms"],
        "chunk_ids": [s.chunk_id for s in out.sources], "scores": [s.score for s in out.sources],
        "sources": [s.to_dict() for s in out.sources],
    }
    emit(SourcesEvent(req.message_id, out.standalone, out.sources))

    picture_url = req.picture.data_url() if req.picture and vision(chat) else None
    model_stream = await open_stream(build_messages(out.standalone, out.sources, history, seen, picture_url), chat)
    out.call = model_stream.call
    checkpointed = time.perf_counter()
    try:
        async for text in model_stream:
            if active.cancelled:  # sticky: a task.cancel() racing a chunk must not be the only signal
                raise asyncio.CancelledError
            out.text += text
            if not held:
                _token(out, emit, text)
            if time.perf_counter() - checkpointed > CHECKPOINT_S:
                _checkpoint(service, req.message_id, out.text)
                checkpointed = time.perf_counter()
    finally:
        await model_stream.aclose()
    citations, invalid = resolve(out.text, out.sources)
    if invalid:
        out.text = strip_invalid(out.text, invalid)
    out.citations = [asdict(c) for c in citations]
    out.state = State.COMPLETED
    if held and await _hold(service, out, emit):
        emit(FinalEvent(req.message_id, State.COMPLETED, "", metrics=out.metrics, held=True))
        return
    if held:
        _token(out, emit, out.text)
    emit(FinalEvent(req.message_id, State.COMPLETED, out.text, out.citations, invalid, metrics=out.metrics))


def _token(out: Outcome, emit: Callable[[object], None], text: str) -> None:
    if "ttft_ms" not in out.metrics:
        out.mark("ttft_ms")
        out.first_token_at = datetime.now(timezone.utc)
    emit(TokenEvent(out.request.message_id, text))


async def _hold(service: ChatService, out: Outcome, emit: Callable[[object], None]) -> bool:
    """Apply the review policy to a finished answer; True when it must wait for a reviewer."""
    review = service.settings.review
    share = None
    if review.policy == "review-if-risky" and out.sources:
        out.grounding = sentences = await asyncio.to_thread(
            ground, out.text, out.sources, service.embed_documents, service.settings.chat.grounding_threshold
        )
        share = sum(s.supported for s in sentences) / len(sentences) if sentences else None
    out.supported_share = share
    out.decision = decide(
        review, question=out.request.question, supported_share=share,
        top_score=max((s.score for s in out.sources), default=None), sample=random.random(),
    )
    if out.decision.hold:
        out.mark("held_ms")
        emit(HeldEvent(out.request.message_id, out.decision.reason or "review"))
    return out.decision.hold


def _lookup(service: ChatService, find: Callable[[], CachedAnswer | None], approved_only: bool) -> CachedAnswer | None:
    """A cached answer whose cited documents are all unchanged in the live index; a cache outage is a miss.

    When answers may be held for review, only reviewer-approved answers are served from the cache.
    """
    try:
        answer = find()
    except Exception as exc:
        log.warning("answer cache unavailable, answering without it: %s", exc)
        return None
    if answer is None or (approved_only and not answer.approved_by):
        return None
    return answer if is_fresh(answer, service.doc_hashes) else None


def _serve_cached(out: Outcome, answer: CachedAnswer, kind: str, emit: Callable[[object], None]) -> None:
    message_id = out.request.message_id
    out.cache_hit = kind
    out.sources = [Source(**s) for s in answer.sources]
    out.retrieval = {
        "index_version": "", "query": out.standalone, "mode": f"cache:{kind}", "k": len(out.sources), "latency_ms": 0.0,
        "chunk_ids": [s.chunk_id for s in out.sources], "scores": [s.score for s in out.sources],
        "sources": answer.sources,
    }
    emit(SourcesEvent(message_id, out.standalone, out.sources))
    out.text, out.citations = answer.text, answer.citations
    if answer.approved_by:
        out.metrics["approved_by"] = answer.approved_by
    _token(out, emit, answer.text)
    out.state = State.COMPLETED
    emit(FinalEvent(message_id, State.COMPLETED, out.text, out.citations, cache_hit=True, metrics=out.metrics,
                    approved=bool(answer.approved_by)))


def _checkpoint(service: ChatService, message_id: str, text: str) -> None:
    now = datetime.now(timezone.utc)
    service.finalizer.submit(
        lambda: service.store.checkpoint(message_id, text, now), f"checkpoint {message_id}", coalesce=f"cp:{message_id}"
    )
