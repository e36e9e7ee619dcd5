"""Hybrid fusion of a dense and a BM25 result list.

Relative-score fusion (the method Weaviate calls ``relativeScoreFusion``): each list's scores are
min-max normalised to [0, 1] over the candidates it returned, then combined as
``alpha * dense + (1 - alpha) * bm25``; a chunk missing from one list scores 0 there. Unlike
reciprocal-rank fusion it keeps how far apart the scores are, which is what lets a confident
keyword match outrank a vague semantic one (and vice versa). ``alpha`` is tuned on SciFact's
train queries (see ``benchmarks/retrieval.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from docent.index.base import SearchHit


def _normalised(hits: Sequence[SearchHit]) -> dict[str, float]:
    if not hits:
        return {}
    scores = [h.score for h in hits]
    lo, hi = min(scores), max(scores)
    span = hi - lo
    return {h.chunk.chunk_id: (1.0 if span == 0 else (h.score - lo) / span) for h in hits}


def relative_score_fusion(
    dense: Sequence[SearchHit], bm25: Sequence[SearchHit], alpha: float, k: int
) -> list[SearchHit]:
    """Fuse two ranked lists into the top ``k`` by weighted normalised score."""
    d, b = _normalised(dense), _normalised(bm25)
    chunks = {h.chunk.chunk_id: h.chunk for h in [*bm25, *dense]}
    raw_d = {h.chunk.chunk_id: h.score for h in dense}
    raw_b = {h.chunk.chunk_id: h.score for h in bm25}
    fused = [
        SearchHit(
            chunk=chunk,
            score=alpha * d.get(cid, 0.0) + (1 - alpha) * b.get(cid, 0.0),
            dense_score=raw_d.get(cid),
            bm25_score=raw_b.get(cid),
        )
        for cid, chunk in chunks.items()
    ]
    fused.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
    return fused[:k]
