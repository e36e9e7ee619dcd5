"""Reading runs: the metric table says what was checked, and A/B comparison survives metrics nobody determined."""

from __future__ import annotations

from docent.evaluate.cases import EvalCase
from docent.evaluate.checks import check
from docent.evaluate.report import compare, metric_table
from docent.evaluate.results import EvalStore, summarize


def stored_run(store: EvalStore, scores: list[dict], thresholds: dict, min_samples: int):
    cases = [EvalCase(key=f"q{i}", question=f"Question {i}?", answer="a", sources=[], model="m", index_version="v")
             for i in range(len(scores))]
    summary = summarize(scores)
    verdict = check("golden", summary, thresholds, [], 0.1, min_samples)
    run_id = store.start("golden", model="m", index_version="v", config={"gate": thresholds})
    return store.finish(run_id, cases, scores, [{}] * len(scores), summary=summary, findings=verdict.findings,
                        status="failed" if verdict.failed else "passed",
                        config={"gate": thresholds, "checks_passed": sorted(verdict.healthy)})


def test_metric_table_tells_checked_from_unchecked(tmp_path):
    store = EvalStore(f"sqlite:///{tmp_path / 's.db'}")
    scores = [{"grounding": 0.2, "recall@k": 1.0, "rouge_l": 0.5}, {"grounding": 0.4, "recall@k": 1.0, "rouge_l": None}]
    run = stored_run(store, scores, {"grounding": 0.5, "recall@k": 0.6}, min_samples=1)
    rows = {r["metric"]: r for r in metric_table(run)}
    assert rows["grounding"]["status"] == "threshold" and rows["grounding"]["value"] == 0.3
    assert rows["recall@k"]["status"] == "ok" and rows["rouge_l"]["undetermined"] == 1
    few = {r["metric"]: r for r in metric_table(stored_run(store, scores, {"grounding": 0.5}, min_samples=5))}
    assert few["grounding"]["status"] == "not enough data"


def test_compare_counts_per_question_and_survives_undetermined_metrics(tmp_path):
    store = EvalStore(f"sqlite:///{tmp_path / 's.db'}")
    a = stored_run(store, [{"semantic_similarity": 0.5, "faithfulness": None}, {"semantic_similarity": 0.9, "faithfulness": None}], {}, 1)
    b = stored_run(store, [{"semantic_similarity": 0.7, "faithfulness": None}, {"semantic_similarity": 0.6, "faithfulness": None}], {}, 1)
    diff = compare(store, a, b, "semantic_similarity").set_index("question")
    assert diff.loc["Question 0?", "verdict"] == "better" and diff.loc["Question 1?", "verdict"] == "worse"
    assert list(compare(store, a, b, "faithfulness")["verdict"]) == ["n/a", "n/a"]
