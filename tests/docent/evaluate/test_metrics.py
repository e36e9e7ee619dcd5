import math

import pytest

from docent.evaluate.metrics import evaluate_run, mrr_at, ndcg_at, recall_at


def test_ndcg_matches_hand_computation():
    rel = {"d1": 1, "d3": 1}
    assert ndcg_at(["d1", "d3"], rel, 10) == pytest.approx(1.0)
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["d2", "d1"], rel, 10) == pytest.approx(expected)
    assert ndcg_at(["d2"], rel, 10) == 0.0


def test_recall_and_mrr():
    rel = {"a": 1, "b": 1, "c": 0}
    assert recall_at(["x", "a", "c"], rel, 100) == 0.5
    assert mrr_at(["x", "y", "b"], rel, 10) == pytest.approx(1 / 3)
    assert mrr_at(["x"] * 10 + ["a"], rel, 10) == 0.0


def test_evaluate_run_averages_judged_queries_only():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    out = evaluate_run({"q1": ["a"], "q2": ["x", "b"]}, qrels)
    assert out["queries"] == 2
    assert out["mrr@10"] == pytest.approx(0.75)
    with pytest.raises(ValueError):
        evaluate_run({}, {"q": {"a": 0}})
