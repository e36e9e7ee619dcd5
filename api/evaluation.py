"""``GET /v1/eval/runs``: the evaluation runs the Evaluation page reads (:class:`~docent.evaluate.results.EvalStore`),
for analysts and admins."""

from __future__ import annotations

import math
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from docent.access import Action, require
from docent.evaluate.results import EvalStore, RunRecord

router = APIRouter(prefix="/v1", tags=["evaluation"])


class EvalRun(BaseModel):
    id: str
    suite: str = Field(description="sample (scored production answers) or golden (a golden set)")
    status: str = Field(description="running, passed, failed (a threshold or gate missed), not_enough_data (too few "
                        "answers got a determined score to judge a threshold metric) or error")
    started_at: datetime
    finished_at: datetime | None
    model: str
    index_version: str
    judge_model: str | None
    golden_set: str | None
    golden_version: str | None
    n_items: int = Field(description="answers scored")
    metrics: dict[str, float | None] = Field(description="each metric's mean over the answers it was determined for")
    findings: list[dict] = Field(description="thresholds missed and regressions found")
    judge_tokens: int = Field(description="tokens the judge model used (judge calls are not in /v1/usage)")
    judge_cost: float
    error: str | None


def _mean(value: object) -> float | None:
    """A metric's mean, or None when undetermined (JSON has no NaN)."""
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _run(r: RunRecord) -> EvalRun:
    return EvalRun(id=r.id, suite=r.suite, status=r.status, started_at=r.started_at, finished_at=r.finished_at,
                   model=r.model, index_version=r.index_version, judge_model=r.judge_model, golden_set=r.golden_set,
                   golden_version=r.golden_version, n_items=r.n_items,
                   metrics={name: _mean(r.mean(name)) for name in r.summary or {}}, findings=r.findings or [],
                   judge_tokens=r.judge_tokens, judge_cost=r.judge_cost, error=r.error)


@router.get("/eval/runs", response_model=list[EvalRun])
async def runs(
    caller: Caller,
    request: Request,
    suite: Annotated[str | None, Query(max_length=32, description="only this suite: sample or golden")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[EvalRun]:
    """Evaluation runs, newest first, with their headline metrics."""
    require(caller, Action.READ_EVALUATION)
    store = EvalStore(request.app.state.settings.state_url)
    return [_run(r) for r in await run_in_threadpool(partial(store.runs, suite, limit))]
