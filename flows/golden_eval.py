"""Golden-set evaluation: nightly, and as the gate of an index promotion. A run that did not pass fails the flow
run: a missed gate as Failed, a gate it had not enough data to judge as Failed named NotEnoughData (the promotion
gate blocks on both, so the flow must not read as Completed)."""

from __future__ import annotations

from prefect import flow, get_run_logger, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from docent.evaluate.results import RunRecord, RunStatus
from docent.evaluate.suites import run_golden
from docent.workspace import Workspace
from flows.common import publish, raise_alerts, workspace


@task(name="answer-and-score", cache_policy=NO_CACHE)  # inputs hold live connections: never cached
def answer_and_score(ws: Workspace, golden: str | None, index_version: str | None) -> RunRecord:
    log = get_run_logger()
    run = run_golden(ws, golden, index_version, flow_run_id=str(runtime.flow_run.id or "") or None,
                     progress=lambda stage, done, total: log.info("%s %d/%d", stage, done, total) if done in (0, total) else None)
    log.info("golden set %s (%s) on index %s: %s", run.golden_set, run.golden_version, run.index_version, run.status.label)
    return run


@flow(name="golden-eval", log_prints=True)
def golden_eval(golden: str | None = None, index_version: str | None = None, judge_model: str | None = None):
    """Answer the golden set (a JSONL path or a reviewed set's name; default ``evaluation.golden``) through the
    current model over the live index, or over ``index_version`` (a candidate), and check the gate."""
    ws = workspace(judge_model=judge_model)
    run = answer_and_score(ws, golden, index_version)
    raise_alerts(ws, run)
    publish(ws, run)
    result = {"run_id": run.id, "status": run.status, "index_version": run.index_version,
              "findings": [f["message"] for f in run.findings or []]}
    if run.status == RunStatus.PASSED:
        return result
    if run.status == RunStatus.NOT_ENOUGH_DATA:
        lacking = [m["message"] for m in run.config["not_enough_data"]]
        return Failed(name="NotEnoughData", message=f"not enough data to judge the golden-set gate (run {run.id}): "
                                                     + "; ".join(lacking))
    return Failed(message=f"the golden-set gate was missed (run {run.id}): " + "; ".join(result["findings"]))
