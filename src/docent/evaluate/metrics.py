"""Standard ranking metrics over a run (query → ranked doc ids) and qrels (query → {doc: grade})."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, Mapping[str, int]]


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """nDCG@k with graded gains and a log2 discount (the BEIR / trec_eval definition)."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    for i, d in enumerate(ranked[:k]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def evaluate_run(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over the queries that have judgements."""
    queries = [q for q in qrels if any(g > 0 for g in qrels[q].values())]
    if not queries:
        raise ValueError("no query has a positive relevance judgement")
    n = len(queries)
    return {
        "ndcg@10": sum(ndcg_at(run.get(q, []), qrels[q], 10) for q in queries) / n,
        "recall@100": sum(recall_at(run.get(q, []), qrels[q], 100) for q in queries) / n,
        "mrr@10": sum(mrr_at(run.get(q, []), qrels[q], 10) for q in queries) / n,
        "queries": n,
    }


def precision_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    top = ranked[:k]
    return sum(relevant.get(d, 0) > 0 for d in top) / len(top) if top else 0.0


def retrieval_scores(ranked: Sequence[str], relevant: Sequence[str], k: int) -> dict[str, float | None]:
    """One query's precision@k, recall@k, hit@k, MRR and nDCG@k against binary reference ids (None without references)."""
    if not relevant:
        return dict.fromkeys(("precision@k", "recall@k", "hit@k", "mrr", "ndcg@k"))
    judged = dict.fromkeys(relevant, 1)
    return {
        "precision@k": precision_at(ranked, judged, k),
        "hit@k": float(any(d in judged for d in ranked[:k])),
        "recall@k": recall_at(ranked, judged, k),
        "mrr": mrr_at(ranked, judged, k),
        "ndcg@k": ndcg_at(ranked, judged, k),
    }
