"""Reading production answers for a continuous run: the unscored ones in a window, and the window's health.

Three queries per run, whatever its size: the candidates with their risk flags, the chosen answers
with their retrievals, and the window's operational figures (failures, time to first token, cost).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.chat.states import State
from docent.evaluate.cases import EvalCase, sources_from
from docent.evaluate.sampling import Candidate, route
from docent.review.golden import GoldenSets
from docent.store import models as m
from docent.store.db import engine_for
from docent.store.evaluation import EvalScore
from docent.store.records import as_utc


def _window(since: datetime, until: datetime):
    return (m.Message.role == "assistant", m.Message.created_at >= since, m.Message.created_at < until)


def candidates(url: str, since: datetime, until: datetime, min_grounding: float) -> list[Candidate]:
    """Completed, finalized answers in [since, until) that no run has scored yet, with their risk flags."""
    thumbs = sa.select(m.Feedback.message_id).where(m.Feedback.rating < 0).scalar_subquery()
    scored = sa.select(EvalScore.message_id).where(EvalScore.message_id.is_not(None)).scalar_subquery()
    query = (
        sa.select(m.Message.id, m.Message.cache_hit, m.Message.question, m.Message.standalone_question, m.Message.metrics,
                  m.Message.id.in_(thumbs).label("thumbs_down"), m.ReviewItem.status, m.ReviewItem.reason, m.ReviewItem.held)
        .outerjoin(m.ReviewItem, m.ReviewItem.message_id == m.Message.id)
        .where(*_window(since, until), m.Message.state == State.COMPLETED.value, m.Message.finalized_at.is_not(None),
               m.Message.id.not_in(scored))
    )
    out = []
    with engine_for(url).connect() as conn:
        for r in conn.execute(query):
            share = (r.metrics or {}).get("supported_share")
            flags = [name for name, on in (("thumbs_down", r.thumbs_down), ("rejected", r.status == "rejected"),
                                           ("low_grounding", share is not None and share < min_grounding)) if on]
            policy = "auto" if r.reason is None else ("held:" if r.held else "") + r.reason
            out.append(Candidate(r.id, f"{route(r.cache_hit, r.question, r.standalone_question)}|{policy}", tuple(flags)))
    return out


def load_cases(url: str, picked: list[tuple[Candidate, list[str]]], golden_set: str | None) -> list[EvalCase]:
    """The chosen answers as cases, each with the golden reference for its question when there is one
    (never one made from this very answer: an approval of it would score it against itself)."""
    if not picked:
        return []
    why = {c.message_id: (c, reasons) for c, reasons in picked}
    references = {i.question.strip(): i for i in GoldenSets(url).items(golden_set, kind="positive")} if golden_set else {}
    query = sa.select(m.Message, m.Retrieval).outerjoin(m.Retrieval, m.Retrieval.message_id == m.Message.id)
    cases = []
    with Session(engine_for(url)) as s:
        for msg, ret in s.execute(query.where(m.Message.id.in_(list(why)))).tuples():
            candidate, reasons = why[msg.id]
            question = msg.standalone_question or msg.question or ""
            ref = references.get(question.strip()) or references.get((msg.question or "").strip())
            if ref is not None and ref.provenance.get("message_id") == msg.id:
                ref = None
            cases.append(EvalCase(
                key=msg.id, question=question, answer=msg.content, model=msg.model or "",
                sources=sources_from({"sources": ret.sources} if ret else None),
                index_version=ret.index_version if ret else "", citations=msg.citations or [], grounding=msg.grounding,
                reference=ref.reference_answer if ref else None, reference_ids=list(ref.reference_chunk_ids) if ref else [],
                stratum=candidate.stratum, reasons=reasons, message_id=msg.id, answered_at=as_utc(msg.created_at),
            ))
    return sorted(cases, key=lambda c: c.answered_at or datetime.min)


def window_stats(url: str, since: datetime, until: datetime) -> dict[str, float | int | None]:
    """Every answer of the window, not just the sample: failures, time to first token, cost."""
    query = sa.select(m.Message.state, m.Message.metrics, m.Message.cost).where(*_window(since, until),
                                                                               m.Message.state.in_((State.COMPLETED.value, State.FAILED.value)))
    with engine_for(url).connect() as conn:
        rows = conn.execute(query).all()
    ttft = [r.metrics["ttft_ms"] for r in rows if r.metrics and r.metrics.get("ttft_ms") is not None]
    costs = [r.cost for r in rows if r.state == State.COMPLETED and r.cost is not None]
    return {
        "answers": len(rows),
        "error_rate": sum(r.state == State.FAILED for r in rows) / len(rows) if rows else None,
        "ttft_p95_ms": float(np.percentile(ttft, 95)) if ttft else None,
        "cost_per_answer": float(np.mean(costs)) if costs else None,
    }


def oldest_answer(url: str) -> datetime | None:
    """When the first answer was served (the heartbeat's "never evaluated, though answers exist")."""
    with engine_for(url).connect() as conn:
        return as_utc(conn.scalar(sa.select(sa.func.min(m.Message.created_at)).where(m.Message.role == "assistant")))
