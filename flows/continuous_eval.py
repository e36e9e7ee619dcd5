"""Continuous evaluation: every 15 minutes, score a sample of recent production answers and alert on drops."""

from __future__ import annotations

from prefect import flow, get_run_logger, runtime, task
from prefect.cache_policies import NO_CACHE

from docent.evaluate.results import RunRecord
from docent.evaluate.suites import run_sample
from docent.workspace import Workspace
from flows.common import publish, raise_alerts, workspace


@task(name="score-sample", cache_policy=NO_CACHE)  # inputs hold live connections: never cached
def score_sample(ws: Workspace, seed: int | None) -> RunRecord:
    log = get_run_logger()
    run = run_sample(ws, seed=seed, flow_run_id=str(runtime.flow_run.id or "") or None,
                     progress=lambda stage, done, total: log.info("%s %d/%d", stage, done, total) if done in (0, total) else None)
    log.info("scored %d answers: %s", run.n_items, run.status.label)
    return run


@flow(name="continuous-eval", log_prints=True)
def continuous_eval(
    sample_rate: float | None = None,
    max_per_run: int | None = None,
    lookback_hours: float | None = None,
    judge_model: str | None = None,
    seed: int | None = None,
) -> dict:
    """Sample unscored production answers (risky ones always), score them, store the run, alert, publish a report.

    Each parameter left empty takes the installation's ``evaluation.*`` setting.
    """
    ws = workspace(sample_rate=sample_rate, max_per_run=max_per_run, lookback_hours=lookback_hours, judge_model=judge_model)
    run = score_sample(ws, seed)
    opened = raise_alerts(ws, run)
    publish(ws, run)
    return {"run_id": run.id, "status": run.status, "answers": run.n_items, "alerts_opened": opened,
            "findings": [f["message"] for f in run.findings or []]}
