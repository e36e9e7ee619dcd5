"""Every metric Docent records: its version, which way is better, and what it needs.

A metric's version changes whenever its definition does, so a dashboard never compares scores that
were computed differently; each run stores the versions it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version


@dataclass(frozen=True)
class Metric:
    name: str
    version: str
    needs: str  # nothing | reference | reference_ids | judge | window
    higher_is_better: bool = True
    description: str = ""


_RAGAS = f"ragas-{version('ragas')}"  # read from the package metadata: importing ragas takes seconds

METRICS = {m.name: m for m in [
    Metric("precision@k", "1", "reference_ids", description="share of the k retrieved chunks that are reference chunks"),
    Metric("recall@k", "1", "reference_ids", description="share of the reference chunks among the k retrieved"),
    Metric("hit@k", "1", "reference_ids", description="1 when at least one reference chunk is among the k retrieved"),
    Metric("mrr", "1", "reference_ids", description="1 / rank of the first reference chunk"),
    Metric("ndcg@k", "1", "reference_ids", description="rank-discounted gain of the reference chunks"),
    Metric("id_context_precision", _RAGAS, "reference_ids", description="ragas IDBasedContextPrecision"),
    Metric("id_context_recall", _RAGAS, "reference_ids", description="ragas IDBasedContextRecall"),
    Metric("context_similarity", "2", "reference",
           description="mean over reference-context windows of the best cosine to a retrieved chunk"),
    Metric("semantic_similarity", _RAGAS, "reference", description="ragas SemanticSimilarity, local embedder"),
    Metric("string_similarity", _RAGAS, "reference", description="ragas NonLLMStringSimilarity (Levenshtein)"),
    Metric("rouge_l", _RAGAS, "reference", description="ragas RougeScore, ROUGE-L F1"),
    Metric("grounding", "1", "nothing", description="share of answer sentences supported by a cited source"),
    Metric("citation_validity", "1", "nothing", description="share of [n] markers that resolve to a retrieved chunk"),
    Metric("answered", "1", "nothing", description="1 unless the model said it does not know"),
    Metric("faithfulness", _RAGAS, "judge", description="ragas Faithfulness"),
    Metric("answer_relevancy", _RAGAS, "judge", description="ragas AnswerRelevancy"),
    Metric("context_precision", _RAGAS, "judge", description="ragas ContextPrecision (with reference)"),
    Metric("context_recall", _RAGAS, "judge", description="ragas ContextRecall"),
    Metric("judge_undetermined", "1", "judge", higher_is_better=False,
           description="share of judge scores that came back undetermined (NaN, invalid JSON, errors)"),
    Metric("error_rate", "1", "window", higher_is_better=False, description="share of answers in the window that failed"),
    Metric("ttft_p95_ms", "1", "window", higher_is_better=False, description="95th percentile time to first token"),
    Metric("cost_per_answer", "1", "window", higher_is_better=False, description="mean model cost per answer (USD)"),
]}

JUDGE_METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall")


def versions(names) -> dict[str, str]:
    return {n: METRICS[n].version for n in names if n in METRICS}


def breached(name: str, value: float, bound: float) -> bool:
    """Whether ``value`` is on the wrong side of ``bound`` for this metric."""
    better_high = METRICS[name].higher_is_better if name in METRICS else True
    return value < bound if better_high else value > bound
