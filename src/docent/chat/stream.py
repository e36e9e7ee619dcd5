"""The stream path: rewrite → cache → retrieve → prompt → relay tokens. It writes nothing.

A producer task runs the answer and puts events on a queue the caller's iterator reads, so a
cancel from any thread (:meth:`docent.chat.registry.Active.cancel`) stops exactly that task: its ``finally`` closes
the provider connection, and the answer ends ``cancelled`` with the text streamed so far. A
caller that stops iterating cancels the same way. State changes, checkpoints of the partial
text and the final record all go to the finalizer's queue (see :mod:`docent.chat.outcome`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import asdict
from datetime import datetime, timezone

from docent.access import Principal, visible_owners
from docent.chat.answer_cache import CachedAnswer, exact_key, is_fresh, scope_key
from docent.chat.attachments import read_picture, vision
from docent.chat.context import fit, token_counter, widen
from docent.chat.deps import ChatDeps
from docent.chat.events import ChatEvent, ErrorEvent, FinalEvent, HeldEvent, SourcesEvent, TokenEvent
from docent.chat.outcome import Outcome, retrieval_record, review_decision, submit_outcome, supported_share
from docent.chat.registry import Active
from docent.chat.request import ChatRequestError, Request, UnknownId
from docent.chat.rewrite import rewrite
from docent.chat.states import State
from docent.generate.citations import ground, resolve, strip_invalid
from docent.generate.errors import MESSAGES, ProviderError
from docent.generate.llm import open_stream
from docent.generate.prompts import PROMPT_VERSION, Source, build_messages

log = logging.getLogger("docent.chat")

HISTORY_WAIT_S = 5.0  # at most, for the previous answer of the conversation to be recorded
CHECKPOINT_S = 1.0  # partial text (and the owner's heartbeat) reach the store this often while streaming
_DONE = object()


async def run_stream(deps: ChatDeps, message_id: str, principal: Principal) -> AsyncIterator[ChatEvent]:
    """The events of ``principal``'s answer (accepted here, or queued by another process)."""
    owners = visible_owners(principal)
    started = time.perf_counter()
    request = deps.streams.take(message_id, owners) or await asyncio.to_thread(_load, deps, message_id, principal.id, owners)
    out = Outcome(request, started)
    active = Active(asyncio.get_running_loop(), request.user_id)
    deps.streams.activate(message_id, active)
    deps.finalizer.submit(
        lambda: deps.store.transition(
            message_id, State.STREAMING, strict=False, started_at=out.started_at, owner=deps.owner,
            heartbeat_at=out.started_at,
        ),
        f"mark {message_id} streaming",
    )
    events: asyncio.Queue = asyncio.Queue()
    active.task = asyncio.create_task(_produce(deps, out, events.put_nowait, active))
    if active.cancelled:  # cancel() arrived between registration and the task's creation
        active.task.cancel()
    try:
        while (event := await events.get()) is not _DONE:
            yield event
    finally:
        if not active.task.done():  # the caller stopped listening: that is a cancel too
            active.task.cancel()
            await asyncio.gather(active.task, return_exceptions=True)


def _load(deps: ChatDeps, message_id: str, actor: str, owners: Collection[str]) -> Request:
    record = deps.store.get_message(message_id, owners)
    if record is None or record.role != "assistant":
        deps.audit.refused(actor, "stream", "not_found", message_id)
        raise UnknownId(f"There is no answer {message_id!r}: call start() first.")
    if record.state != State.QUEUED:
        raise ChatRequestError(f"Answer {message_id} is already {record.state}.")
    return Request(message_id, record.conversation_id, record.question, record.filters, record.model, False,
                   record.user_id or "")


async def _produce(deps: ChatDeps, out: Outcome, emit: Callable[[object], None], active: Active) -> None:
    message_id = out.request.message_id
    try:
        await _answer(deps, out, emit, active)
    except asyncio.CancelledError:
        out.state = State.CANCELLED
        emit(FinalEvent(message_id, State.CANCELLED, out.text, metrics=out.metrics))
    except ProviderError as exc:
        _fail(out, emit, exc.code, exc.user_message, exc.detail)
    except Exception as exc:
        log.exception("answer %s failed", message_id)
        _fail(out, emit, "internal", MESSAGES["internal"], str(exc))
    finally:
        deps.streams.finish(message_id)
        submit_outcome(deps, out)
        emit(_DONE)


def _history(deps: ChatDeps, conversation_id: str) -> list[tuple[str, str]]:
    """The conversation's last turns, once its previous answer is written: a follow-up asked the
    moment an answer ends would otherwise miss that answer (it is recorded in the background)."""
    deps.finalizer.wait_for_tag(conversation_id, HISTORY_WAIT_S)  # a store that is down: go on without it
    return deps.store.history(conversation_id, None, deps.settings.chat.history_turns)


def _fail(out: Outcome, emit, code: str, message: str, detail: str) -> None:
    out.state, out.error_code, out.error_message = State.FAILED, code, detail or message
    emit(ErrorEvent(out.request.message_id, code, message, out.text))


async def _answer(deps: ChatDeps, out: Outcome, emit: Callable[[object], None], active: Active) -> None:
    chat, req = deps.settings.chat, out.request
    held = deps.settings.review.policy != "auto"  # answers may be held: tokens wait for the decision
    if req.history is not None:  # given with the question (an OpenAI-style client sends the whole exchange)
        history = req.history[-2 * chat.history_turns:] if chat.history_turns else []
    else:
        history = [] if req.new_conversation else await asyncio.to_thread(_history, deps, req.conversation_id)
    reader = deps.reader(req.index_version)
    embed = lambda texts: reader.embedder.encode(texts, reader.embedder.query_model)  # noqa: E731 (no cache writes)
    rewritten = await rewrite(req.question, history, chat.rewrite_model, chat.first_token_timeout_s, embed,
                              chat.topic_threshold)
    out.standalone = rewritten.question
    if rewritten.trace:
        out.traces.append(rewritten.trace)
    cache = deps.answer_cache if req.picture is None else None  # a picture's answer is its own
    seen = await asyncio.to_thread(read_picture, req.picture, deps.settings.parsing) if req.picture else ""
    out.retrieval_query = query = f"{out.standalone}\n{seen}" if seen else out.standalone
    context = hashlib.sha256(json.dumps(history).encode()).hexdigest() if history else ""
    out.scope = scope_key(
        filters=req.filters, context=context, index_version=reader.version, model=chat.model, prompt_version=PROMPT_VERSION
    )
    out.key = exact_key(out.standalone, out.scope)
    if cache is not None and (hit := await asyncio.to_thread(_lookup, deps, lambda: cache.get(out.key), held)):
        return _serve_cached(out, hit, "exact", emit, reader.version)
    if rewritten.vector is not None and query == rewritten.question:  # embedded by the topic check, with the same model
        out.vector = rewritten.vector
    else:
        out.vector = await asyncio.to_thread(reader.embedder.embed_query, query)
    threshold = deps.settings.cache.semantic_threshold
    if cache is not None and threshold < 1.0:
        similar = lambda: (cache.find_similar(out.scope, out.vector, threshold) or (None,))[0]  # noqa: E731
        if hit := await asyncio.to_thread(_lookup, deps, similar, held):
            return _serve_cached(out, hit, "semantic", emit, reader.version)

    began = time.perf_counter()
    hits = await asyncio.to_thread(reader.search, query, filters=req.filters, vector=out.vector)
    out.metrics["retrieval_ms"] = round((time.perf_counter() - began) * 1000, 2)
    count = token_counter(chat.model)
    fitted = fit([Source.from_hit(i + 1, h) for i, h in enumerate(hits)], chat.context_tokens, count)
    out.sources = await asyncio.to_thread(widen, fitted, reader.index, chat.context_tokens, count) if chat.widen else fitted
    out.retrieval = retrieval_record(out, index_version=reader.version, mode=reader.settings.mode, k=reader.settings.k,
                                     latency_ms=out.metrics["retrieval_ms"])
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
                _checkpoint(deps, req.message_id, out.text, active)
                checkpointed = time.perf_counter()
    finally:
        await model_stream.aclose()
    citations, invalid = resolve(out.text, out.sources)
    if invalid:
        out.text = strip_invalid(out.text, invalid)
    out.citations = [asdict(c) for c in citations]
    out.state = State.COMPLETED
    if held and await _hold(deps, out, emit):
        emit(FinalEvent(req.message_id, State.COMPLETED, "", metrics=out.metrics, held=True))
        return
    if held:
        _token(out, emit, out.text)
    emit(FinalEvent(req.message_id, State.COMPLETED, out.text, out.citations, invalid, metrics=out.metrics,
                    usage=dict(out.call.usage) if out.call else {}))


def _token(out: Outcome, emit: Callable[[object], None], text: str) -> None:
    if "ttft_ms" not in out.metrics:
        out.mark("ttft_ms")
        out.first_token_at = datetime.now(timezone.utc)
    emit(TokenEvent(out.request.message_id, text))


async def _hold(deps: ChatDeps, out: Outcome, emit: Callable[[object], None]) -> bool:
    """Apply the review policy to a finished answer; True when it must wait for a reviewer."""
    review = deps.settings.review
    if review.policy == "review-if-risky" and out.sources:
        out.grounding = await asyncio.to_thread(
            ground, out.text, out.sources, deps.embed_documents, deps.settings.chat.grounding_threshold
        )
        out.supported_share = supported_share(out.grounding)
    out.decision = review_decision(review, out)
    if out.decision.hold:
        out.mark("held_ms")
        emit(HeldEvent(out.request.message_id, out.decision.reason or "review"))
    return out.decision.hold


def _lookup(deps: ChatDeps, find: Callable[[], CachedAnswer | None], approved_only: bool) -> CachedAnswer | None:
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
    return answer if is_fresh(answer, deps.doc_hashes) else None


def _serve_cached(out: Outcome, answer: CachedAnswer, kind: str, emit: Callable[[object], None], version: str) -> None:
    """Serve a cached answer; ``version`` is the index version its cache scope is keyed on: the one it came from."""
    message_id = out.request.message_id
    out.cache_hit = kind
    out.sources = [Source(**s) for s in answer.sources]
    out.retrieval = retrieval_record(out, index_version=version, mode=f"cache:{kind}", k=len(out.sources), latency_ms=0.0,
                                     sources=answer.sources)
    emit(SourcesEvent(message_id, out.standalone, out.sources))
    out.text, out.citations = answer.text, answer.citations
    if answer.approved_by:
        out.metrics["approved_by"] = answer.approved_by
    _token(out, emit, answer.text)
    out.state = State.COMPLETED
    emit(FinalEvent(message_id, State.COMPLETED, out.text, out.citations, cache_hit=True, metrics=out.metrics,
                    approved=bool(answer.approved_by)))


def _checkpoint(deps: ChatDeps, message_id: str, text: str, active: Active) -> None:
    """Save the partial text in the background; a checkpoint the store refuses (another process asked for a cancel,
    or the answer was failed as interrupted) stops the answer."""
    now = datetime.now(timezone.utc)
    deps.finalizer.submit(
        lambda: deps.store.checkpoint(message_id, text, now) or active.cancel(), f"checkpoint {message_id}",
        coalesce=f"cp:{message_id}"
    )
