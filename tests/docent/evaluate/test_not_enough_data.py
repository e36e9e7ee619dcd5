"""A run whose threshold metrics were determined for too few answers (or none measured) is "not enough data": stored
as such (real SQLite and Postgres stores), neither passed nor failed, raising no alert and resolving only the alerts
of metrics it could judge, and shown so in its table. A suite with no thresholds has nothing to lack: it passes."""

from __future__ import annotations

from docent.alerts import Alerts
from docent.evaluate.alerting import alert_run
from docent.evaluate.cases import EvalCase
from docent.evaluate.checks import check
from docent.evaluate.report import metric_table
from docent.evaluate.results import EvalStore, RunStatus, summarize

THRESHOLDS = {"grounding": 0.5, "answered": 0.5}


def finished(store: EvalStore, scores: list[dict], min_samples: int = 1, min_share: float = 0.5,
             thresholds: dict[str, float] = THRESHOLDS):
    """A continuous run of ``scores`` judged and stored the way :mod:`docent.evaluate.suites` does."""
    cases = [EvalCase(key=f"m{i}", question=f"Question {i}?", answer="a", sources=[], model="m", index_version="v")
             for i in range(len(scores))]
    summary = summarize(scores)
    verdict = check("sample", summary, thresholds, [], 0.1, min_samples, min_share)
    config = {"thresholds": thresholds, "checks_passed": sorted(verdict.healthy), "not_enough_data": verdict.lacking}
    run_id = store.start("sample", model="m", index_version="v", config=config)
    return store.finish(run_id, cases, scores, [{}] * len(scores), summary=summary, status=verdict.status,
                        findings=verdict.findings, config=config)


def test_nine_undetermined_answers_in_ten_are_not_enough_data_not_passed(state_url):
    store, alerts = EvalStore(state_url), Alerts(state_url)
    # grounding determined (and low) for one answer in ten: neither a breach nor a pass
    alerts.raise_alert("eval-threshold", "sample evaluation", "grounding was low", key="eval:sample:threshold:grounding")
    alerts.raise_alert("eval-threshold", "sample evaluation", "answered was low", key="eval:sample:threshold:answered")
    scores = [{"grounding": 0.1, "answered": 1.0}] + [{"grounding": None, "answered": 1.0}] * 9
    run = finished(store, scores)
    assert store.get(run.id).status is RunStatus.NOT_ENOUGH_DATA and run.status.label == "not enough data"
    assert run.findings == [] and run.config["not_enough_data"][0]["message"] == (
        "grounding was determined for 1 of 10 answers: not enough to judge")
    rows = {r["metric"]: r["status"] for r in metric_table(run)}
    assert rows == {"grounding": "not enough data", "answered": "ok"}
    assert alert_run(alerts, run) == []  # nothing raised as failed; answered, judged fine, resolves; grounding stays open
    assert [a.key for a in alerts.recent(status="open")] == ["eval:sample:threshold:grounding"]
    assert [a.key for a in alerts.recent(status="resolved")] == ["eval:sample:threshold:answered"]
    assert [r.id for r in store.runs("sample", finished_only=True)] == [run.id]  # a finished run (the heartbeat counts it)


def test_the_same_metric_judged_on_enough_answers_passes_or_fails(state_url):
    store = EvalStore(state_url)
    assert finished(store, [{"grounding": 0.9, "answered": 1.0}] * 6 + [{"grounding": None, "answered": 1.0}] * 4).status \
        is RunStatus.PASSED
    assert finished(store, [{"grounding": 0.1, "answered": 1.0}] * 10).status is RunStatus.FAILED
    # too few answers for min_samples, or no threshold metric measured at all: not enough data either
    assert finished(store, [{"grounding": 0.9, "answered": 1.0}] * 3, min_samples=20).status is RunStatus.NOT_ENOUGH_DATA
    assert finished(store, []).status is RunStatus.NOT_ENOUGH_DATA


def test_thresholds_none_of_which_is_measured_are_not_enough_data_and_no_thresholds_pass(state_url):
    store = EvalStore(state_url)
    scores = [{"grounding": 0.9, "answered": 1.0}] * 6
    # a gate of judge metrics and no judge: nothing of it measured, so nothing may read the run as passed
    unjudged = finished(store, scores, thresholds={"faithfulness": 0.8, "context_recall": 0.5})
    assert unjudged.status is RunStatus.NOT_ENOUGH_DATA and unjudged.findings == []
    assert [m["message"] for m in unjudged.config["not_enough_data"]] == [
        "none of the threshold metrics (faithfulness, context_recall) was measured (judge metrics need evaluation.judge_model)"]
    # one judge metric unmeasured beside one judged fine: the judged one decides
    assert finished(store, scores, thresholds={"faithfulness": 0.8, "grounding": 0.5}).status is RunStatus.PASSED
    # no thresholds at all: nothing to lack, so a run passes (it did not before: "nothing judged" was no pass)
    for no_thresholds in ([], scores):
        run = finished(store, no_thresholds, thresholds={})
        assert run.status is RunStatus.PASSED and run.config["not_enough_data"] == [], run.config
