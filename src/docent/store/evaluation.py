"""The evaluation tables: one row per run (a continuous sample or a golden set) and one per scored answer.

Scores are stored per answer with every metric in one JSON object, so a new metric needs no
migration; the run row carries the means, the findings (breaches, regressions) and the versions of
everything that produced them (answer model, index, judge model, judge prompt, metric versions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from docent.store.models import Base


class EvalRun(Base):
    __tablename__ = "eval_runs"
    __table_args__ = (sa.Index("ix_eval_runs_suite_started_at", "suite", "started_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    suite: Mapped[str] = mapped_column(sa.String(16))  # sample | golden
    status: Mapped[str] = mapped_column(sa.String(16))  # a docent.evaluate.results.RunStatus value
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    model: Mapped[str] = mapped_column(sa.String(200))  # the answer model configured for the run
    index_version: Mapped[str] = mapped_column(sa.String(32))
    judge_model: Mapped[str | None] = mapped_column(sa.String(200))
    golden_set: Mapped[str | None] = mapped_column(sa.Text)  # a JSONL path or a reviewed set's name
    golden_version: Mapped[str | None] = mapped_column(sa.String(64))
    config: Mapped[dict[str, Any]]  # metric versions, judge prompt version, k, thresholds, sampling
    summary: Mapped[dict[str, Any] | None]  # metric -> {"mean", "n", "missing"}
    findings: Mapped[list[Any] | None]  # threshold breaches and regressions, as alerts would say them
    n_items: Mapped[int] = mapped_column(default=0)
    judge_tokens: Mapped[int] = mapped_column(default=0)
    judge_cost: Mapped[float] = mapped_column(default=0.0)
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.Text)


class EvalScore(Base):
    __tablename__ = "eval_scores"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "item_key", name="uq_eval_scores_run_item"),
        sa.UniqueConstraint("message_id", name="uq_eval_scores_message_id"),  # a production answer is scored once
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("eval_runs.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(sa.ForeignKey("messages.id"))  # sampled production answers only
    item_key: Mapped[str] = mapped_column(sa.String(200))  # the message id, or the golden item's id
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.Text)
    model: Mapped[str] = mapped_column(sa.String(200))
    index_version: Mapped[str] = mapped_column(sa.String(32))
    stratum: Mapped[str] = mapped_column(sa.String(64))  # route | review policy (sample), or "golden"
    reasons: Mapped[list[Any]]  # why it was picked: random, thumbs_down, rejected, low_grounding
    metrics: Mapped[dict[str, Any]]  # name -> value, None when it could not be determined
    details: Mapped[dict[str, Any]]  # retrieved and reference chunk ids, judge errors
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
