"""Evaluation runs and their scores in the state store, and the frames the dashboard and reports read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.evaluate.cases import EvalCase
from docent.store.db import engine_for
from docent.store.evaluation import EvalRun, EvalScore
from docent.store.records import as_utc, columns_of, utc_now


class RunStatus(StrEnum):
    """Where a run stands. A finished run passed, failed (a finding), or had not enough determined scores to say."""

    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    NOT_ENOUGH_DATA = "not_enough_data"
    ERROR = "error"

    @property
    def label(self) -> str:
        """As people read it: "not enough data", "passed", ..."""
        return self.value.replace("_", " ")


FINISHED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.NOT_ENOUGH_DATA)


@dataclass
class RunRecord:
    id: str
    suite: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    model: str
    index_version: str
    judge_model: str | None
    golden_set: str | None
    golden_version: str | None
    config: dict
    summary: dict | None
    findings: list | None
    n_items: int
    judge_tokens: int
    judge_cost: float
    flow_run_id: str | None
    error: str | None

    def mean(self, metric: str) -> float | None:
        return ((self.summary or {}).get(metric) or {}).get("mean")


def summarize(rows: list[dict[str, float | None]]) -> dict[str, dict[str, Any]]:
    """Per metric: the mean over the cases where it was determined, how many those were, and how many were not."""
    names = sorted({k for r in rows for k in r})
    out = {}
    for name in names:
        values = [r[name] for r in rows if r.get(name) is not None]
        out[name] = {"mean": sum(values) / len(values) if values else None, "n": len(values),
                     "missing": sum(name in r and r[name] is None for r in rows)}
    return out


class EvalStore:
    def __init__(self, url: str):
        self.url = url
        self._engine = engine_for(url)

    def start(self, suite: str, *, model: str, index_version: str, config: dict, judge_model: str | None = None,
              golden_set: str | None = None, golden_version: str | None = None, flow_run_id: str | None = None) -> str:
        run_id = str(uuid.uuid4())
        with Session(self._engine) as s, s.begin():
            s.add(EvalRun(id=run_id, suite=suite, status=RunStatus.RUNNING, started_at=utc_now(), model=model,
                          index_version=index_version, judge_model=judge_model, golden_set=golden_set,
                          golden_version=golden_version, config=config, flow_run_id=flow_run_id))
        return run_id

    def finish(self, run_id: str, cases: list[EvalCase], scores: list[dict], details: list[dict], *, summary: dict,
               status: RunStatus, findings: list, config: dict, judge_tokens: int = 0, judge_cost: float = 0.0) -> RunRecord:
        """Store every score and close the run, in one transaction: a crash leaves no half-scored run behind."""
        now = utc_now()
        with Session(self._engine) as s, s.begin():
            s.add_all(EvalScore(
                run_id=run_id, message_id=c.message_id, item_key=c.key[:200], question=c.question, answer=c.answer,
                reference=c.reference, model=c.model, index_version=c.index_version, stratum=c.stratum, reasons=c.reasons,
                metrics=sc, details=d, answered_at=c.answered_at, created_at=now,
            ) for c, sc, d in zip(cases, scores, details))
            s.execute(sa.update(EvalRun).where(EvalRun.id == run_id).values(
                status=status, finished_at=now, summary=summary, findings=findings, config=config, n_items=len(cases),
                judge_tokens=judge_tokens, judge_cost=judge_cost))
        return self.get(run_id)

    def fail(self, run_id: str, error: str) -> None:
        with Session(self._engine) as s, s.begin():
            s.execute(sa.update(EvalRun).where(EvalRun.id == run_id).values(
                status=RunStatus.ERROR, error=error[:4000], finished_at=utc_now()))

    def get(self, run_id: str) -> RunRecord:
        with Session(self._engine) as s:
            row = s.get(EvalRun, run_id)
            if row is None:
                raise KeyError(f"no evaluation run {run_id!r}")
            return _record(row)

    def runs(self, suite: str | None = None, limit: int = 200, finished_only: bool = False) -> list[RunRecord]:
        """Newest first."""
        query = sa.select(EvalRun).order_by(EvalRun.started_at.desc()).limit(limit)
        if suite:
            query = query.where(EvalRun.suite == suite)
        if finished_only:
            query = query.where(EvalRun.status.in_(FINISHED))
        with Session(self._engine) as s:
            return [_record(r) for r in s.scalars(query)]

    def find(self, prefix: str) -> RunRecord:
        with Session(self._engine) as s:
            rows = s.scalars(sa.select(EvalRun).where(EvalRun.id.like(f"{prefix}%")).limit(2)).all()
        if len(rows) != 1:
            raise KeyError(f"{'no' if not rows else 'more than one'} evaluation run starts with {prefix!r}")
        return _record(rows[0])

    def scores(self, run_ids: list[str]) -> pd.DataFrame:
        """One row per scored answer of those runs, each metric a column."""
        query = sa.select(EvalScore).where(EvalScore.run_id.in_(run_ids)).order_by(EvalScore.id)
        with Session(self._engine) as s:
            rows = [columns_of(r) for r in s.scalars(query)]
        base = pd.DataFrame([{k: as_utc(v) for k, v in r.items() if k != "metrics"} for r in rows])
        metrics = pd.DataFrame([r["metrics"] for r in rows], index=base.index, dtype=float)
        return pd.concat([base, metrics], axis=1)

    def trend(self, suite: str, limit: int = 500) -> pd.DataFrame:
        """One row per finished run, oldest first: when, model, index version and every metric's mean."""
        rows = []
        for r in reversed(self.runs(suite, limit, finished_only=True)):
            means = {k: v.get("mean") for k, v in (r.summary or {}).items()}
            rows.append({"run_id": r.id, "started_at": as_utc(r.started_at), "status": r.status.label, "model": r.model,
                         "index_version": r.index_version, "n_items": r.n_items, **means})
        frame = pd.DataFrame(rows)
        metrics = [c for c in frame.columns if c not in ("run_id", "started_at", "status", "model", "index_version", "n_items")]
        return frame.astype({c: float for c in metrics})


def _record(row: EvalRun) -> RunRecord:
    fields = columns_of(row)
    return RunRecord(**fields | {"status": RunStatus(fields["status"])})
