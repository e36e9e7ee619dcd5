"""The ragas LLM metrics over litellm's real HTTP path, against the fake server scripted as a judge:
known verdicts give known scores, unparseable replies are counted as undetermined, the budget holds."""

from __future__ import annotations

import pytest

from docent.devtools.fake_llm_server import fake_model
from docent.evaluate.cases import EvalCase
from docent.evaluate.embeddings import LocalEmbeddings
from docent.evaluate.judge import Judge
from docent.generate.prompts import Source
from docent.settings import EvaluationSettings

CASE = EvalCase(
    key="q1", question="How long is parental leave?", answer="Parental leave is sixteen weeks [1].",
    sources=[Source(1, "c1", "d1", "file:///leave.md", "Parental leave is sixteen weeks at full pay.", 1.0)],
    model="m", index_version="v", reference="Sixteen weeks at full pay.",
)


@pytest.fixture(scope="module")
def embeddings(embedder):
    return LocalEmbeddings(lambda texts: embedder.embed(texts)[0])


def judge_for(fake_llm, embeddings, verdict: str, **budget) -> Judge:
    settings = EvaluationSettings(judge_model=fake_model(judge=verdict), judge_api_base=fake_llm.base_url,
                                  judge_api_key="sk-test", **budget)
    return Judge(settings, embeddings)


def test_supporting_verdicts_score_one_and_every_call_is_metered(fake_llm, embeddings):
    judge = judge_for(fake_llm, embeddings, "1")
    [(scores, errors)] = judge.score([CASE])
    assert errors == {}
    assert scores["faithfulness"] == 1.0 and scores["context_recall"] == 1.0 and scores["context_precision"] == pytest.approx(1.0)
    expected = float(embeddings.vector(CASE.answer) @ embeddings.vector(CASE.question))  # the fake asks back the answer itself
    assert scores["answer_relevancy"] == pytest.approx(expected, abs=1e-3) and expected > 0.3
    assert scores["judge_undetermined"] == 0.0
    # faithfulness 2 calls, relevancy 3 (strictness), precision 1 per context, recall 1
    assert judge.spend.calls == 7 and judge.spend.tokens > 0 and judge.spend.unpriced == 7


def test_rejecting_verdicts_score_zero(fake_llm, embeddings):
    [(scores, _)] = judge_for(fake_llm, embeddings, "0").score([CASE])
    assert scores["faithfulness"] == 0.0 and scores["context_recall"] == 0.0 and scores["answer_relevancy"] == 0.0


def test_unparseable_replies_are_undetermined_and_counted_not_dropped(fake_llm, embeddings):
    judge = judge_for(fake_llm, embeddings, "bad")
    [(scores, errors)] = judge.score([CASE])
    judged = ("faithfulness", "answer_relevancy", "context_precision", "context_recall")
    assert all(scores[m] is None for m in judged)
    assert scores["judge_undetermined"] == 1.0
    assert set(errors) == set(judged) and all("ValidationError" in e for e in errors.values()), errors


def test_the_token_budget_stops_further_judging(fake_llm, embeddings):
    judge = judge_for(fake_llm, embeddings, "1", max_judge_tokens=1)
    results = judge.score([CASE, CASE, CASE])
    assert judge.spend.calls <= 4  # what was in flight when the budget ran out, no more
    assert judge.spend.skipped > 0
    assert sum(len(s) for s, _ in results) < 3 * 5


def test_no_judge_model_is_a_clear_error(embeddings):
    with pytest.raises(ValueError, match="evaluation.judge_model"):
        Judge(EvaluationSettings(), embeddings)
