"""What one answer produced, and how it is written down after the stream (off the critical path).

The stream fills an :class:`Outcome` as it goes; :func:`submit_outcome` hands it to the
finalizer as three jobs, so a failure in a later one (grounding, caching) never undoes the
record of the answer itself. The review decision, the share of supported sentences and the
retrieval record are each made here and only here.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from docent.chat.answer_cache import CachedAnswer
from docent.chat.deps import ChatDeps
from docent.chat.request import Request
from docent.chat.states import State
from docent.generate.citations import ground, judge
from docent.generate.llm import LLMCall
from docent.generate.local import NO_ANSWER
from docent.generate.prompts import PROMPT_VERSION, Source
from docent.review.policy import Decision, decide
from docent.settings import ReviewSettings


@dataclass
class Outcome:
    request: Request
    started: float  # perf_counter at stream()
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    state: str = State.STREAMING
    error_code: str | None = None
    error_message: str | None = None
    text: str = ""
    standalone: str = ""
    retrieval_query: str = ""  # what was searched: the standalone question, with a picture's text
    sources: list[Source] = field(default_factory=list)
    citations: list[dict] = field(default_factory=list)
    call: LLMCall | None = None
    traces: list[dict] = field(default_factory=list)
    cache_hit: str = ""  # "", "exact" or "semantic"
    retrieval: dict | None = None
    metrics: dict = field(default_factory=dict)
    first_token_at: datetime | None = None
    ended_at: datetime | None = None
    vector: np.ndarray | None = None
    scope: str = ""
    key: str = ""
    decision: Decision | None = None  # the review policy's, when it was applied in the stream
    supported_share: float | None = None
    grounding: list | None = None  # per-sentence grounding, when the review policy already computed it

    def mark(self, name: str) -> float:
        """Milliseconds since the stream began, stored as metric ``name``."""
        self.metrics[name] = round((time.perf_counter() - self.started) * 1000, 2)
        return self.metrics[name]

    def trace(self) -> dict:
        call = self.call
        row = {
            "kind": "generate",
            "model": call.model if call else self.request.model,
            "parameters": call.parameters if call else {},
            "prompt_hash": call.prompt_hash if call else "",
            "prompt_version": PROMPT_VERSION,
            "cache_hit": bool(self.cache_hit),
            "error": self.error_code,
        }
        if call:
            end = call.ended_at or time.perf_counter()
            row.update(
                prompt_tokens=call.usage.get("prompt_tokens"),
                completion_tokens=call.usage.get("completion_tokens"),
                cost=call.cost(),
                latency_ms=(end - call.started) * 1000,
                ttft_ms=call.ttft_ms,
                parameters=dict(call.parameters, attempts=[a.__dict__ for a in call.attempts]),
            )
        else:
            row["latency_ms"] = self.metrics.get("total_ms")
        return row


def supported_share(sentences: list | None) -> float | None:
    """The share of an answer's sentences its sources support; None when it has none (not measured)."""
    return sum(s.supported for s in sentences) / len(sentences) if sentences else None


def review_decision(settings: ReviewSettings, out: Outcome) -> Decision:
    """The review policy applied to the answer's signals (see :mod:`docent.review.policy`)."""
    return decide(
        settings, question=out.request.question, supported_share=out.supported_share,
        top_score=max((s.score for s in out.sources), default=None), sample=random.random(),
    )


def retrieval_record(out: Outcome, *, index_version: str, mode: str, k: int, latency_ms: float,
                     sources: list[dict] | None = None) -> dict:
    """What the answer was grounded on, as stored: the chunks the model saw, with their scores."""
    return {
        "index_version": index_version, "query": out.retrieval_query or out.standalone, "mode": mode, "k": k,
        "latency_ms": latency_ms, "chunk_ids": [s.chunk_id for s in out.sources], "scores": [s.score for s in out.sources],
        "sources": sources if sources is not None else [s.to_dict() for s in out.sources],
    }


def submit_outcome(deps: ChatDeps, out: Outcome) -> None:
    out.ended_at = datetime.now(timezone.utc)
    out.mark("total_ms")
    out.metrics["completed"] = out.state == State.COMPLETED
    if out.request.command_ms is not None:
        out.metrics["command_ms"] = round(out.request.command_ms, 2)
    ended = time.perf_counter()
    deps.finalizer.submit(  # tagged: the conversation's next question waits for it (its history)
        lambda: _record(deps, out, ended), f"finalize {out.request.message_id}", tag=out.request.conversation_id
    )
    if out.state == State.COMPLETED and out.text and out.text != NO_ANSWER and not out.cache_hit:
        deps.finalizer.submit(lambda: _ground(deps, out), f"ground {out.request.message_id}")
        decision = out.decision or review_decision(deps.settings.review, out)
        if decision.review and deps.review_queue is not None:
            deps.finalizer.submit(lambda: _review(deps, out, decision), f"review {out.request.message_id}")
        if deps.answer_cache is not None and out.citations and not decision.hold and out.request.picture is None:
            deps.finalizer.submit(lambda: _cache(deps, out), f"cache {out.request.message_id}")


def _record(deps: ChatDeps, out: Outcome, ended: float) -> None:
    metrics = dict(out.metrics, finalize_lag_ms=round((time.perf_counter() - ended) * 1000, 2))
    call, trace = out.call, out.trace()  # the trace prices the call once; the message records the same cost
    deps.store.finalize(
        out.request.message_id,
        state=out.state,
        content=out.text,
        error_code=out.error_code,
        error_message=out.error_message,
        citations=out.citations,
        usage=call.usage if call else None,
        cost=trace.get("cost"),
        metrics=metrics,
        cache_hit=bool(out.cache_hit),
        ended_at=out.ended_at,
        first_token_at=out.first_token_at,
        standalone_question=out.standalone or None,
        traces=[*out.traces, trace],
        retrieval=out.retrieval,
        strict=False,  # cancelled while queued, or already finalized by a retried job: nothing to write
    )


def _review(deps: ChatDeps, out: Outcome, decision: Decision) -> None:
    deps.review_queue.enqueue(
        out.request.message_id,
        reason=decision.reason or "sample",
        held=decision.hold,
        question=out.request.question,
        answer=out.text,
        model=out.call.model if out.call else out.request.model,
        index_version=(out.retrieval or {}).get("index_version", ""),
        grounding_score=out.supported_share,
        retrieval_score=max((s.score for s in out.sources), default=None),
        cache_hit=bool(out.cache_hit),
    )


def _ground(deps: ChatDeps, out: Outcome) -> None:
    judge_model = deps.settings.chat.judge_model
    if judge_model:
        sentences = asyncio.run(judge(out.text, out.sources, judge_model))
    elif out.grounding is not None:  # review-if-risky grounded it before deciding: not twice
        sentences = out.grounding
    else:
        sentences = ground(out.text, out.sources, deps.embed_documents, deps.settings.chat.grounding_threshold)
    rows = [s.__dict__ | {"cited": list(s.cited)} for s in sentences]
    deps.store.update_fields(out.request.message_id, grounding=rows, metrics={"supported_share": supported_share(sentences)})


def _cache(deps: ChatDeps, out: Outcome) -> None:
    cited = sorted({c["doc_id"] for c in out.citations})
    docs = deps.doc_hashes(cited)
    if set(docs) != set(cited):  # a cited document is gone already: nothing to cache
        return
    answer = CachedAnswer(
        text=out.text,
        sources=[s.to_dict() for s in out.sources],
        citations=out.citations,
        docs={d: docs[d] for d in cited},
        model=out.call.model if out.call else out.request.model,
        created_at=time.time(),
        question=out.standalone,
    )
    deps.answer_cache.put(out.key, out.scope, answer, out.vector)
