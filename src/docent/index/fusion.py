"""Hybrid fusion of a dense and a BM25 result list, the same for every backend.

Z-score fusion: each list's scores are standardised over the candidates it returned
(``(score - mean) / std``), and a chunk missing from one list takes that list's lowest
standardised score (it ranked below everything returned; one unit below when the returned scores
are all equal). The fused score is
``alpha * dense + (1 - alpha) * bm25``: ``alpha=1`` ranks as dense, ``alpha=0`` as BM25.

Why not reciprocal-rank fusion: ranks throw away how far apart scores are, so a confident keyword
match weighs no more than a vague one. Why not min-max normalisation (Weaviate's
``relativeScoreFusion``): it hangs each list on its single best and worst candidate, which makes
it sensitive to one outlier. On SciFact train queries (``benchmarks/retrieval.py``) z-score
fusion beat both; ``alpha`` (``retrieval.alpha``) was tuned there.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from docent.index.base import SearchHit

_SIDES = ThreadPoolExecutor(max_workers=4, thread_name_prefix="docent-hybrid")


def _standardised(hits: Sequence[SearchHit]) -> tuple[dict[str, float], float]:
    """Each hit's z-score, and the score a chunk the list did not return gets.

    That floor is the lowest returned z-score; when all returned scores are equal (e.g. a single
    BM25 match) they carry no spread, so they score 0 and the floor sits one unit below them.
    """
    if not hits:
        return {}, 0.0
    scores = [h.score for h in hits]
    mean, spread = statistics.fmean(scores), statistics.pstdev(scores)
    if spread == 0:
        return {h.chunk.chunk_id: 0.0 for h in hits}, -1.0
    z = {h.chunk.chunk_id: (h.score - mean) / spread for h in hits}
    return z, min(z.values())


def zscore_fusion(dense: Sequence[SearchHit], bm25: Sequence[SearchHit], alpha: float, k: int) -> list[SearchHit]:
    """Fuse two ranked lists into the top ``k`` by weighted standardised score."""
    (d, d_floor), (b, b_floor) = _standardised(dense), _standardised(bm25)
    chunks = {h.chunk.chunk_id: h.chunk for h in [*bm25, *dense]}
    raw_d = {h.chunk.chunk_id: h.score for h in dense}
    raw_b = {h.chunk.chunk_id: h.score for h in bm25}
    fused = [
        SearchHit(
            chunk=chunk,
            score=alpha * d.get(cid, d_floor) + (1 - alpha) * b.get(cid, b_floor),
            dense_score=raw_d.get(cid),
            bm25_score=raw_b.get(cid),
        )
        for cid, chunk in chunks.items()
    ]
    fused.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
    return fused[:k]


def fused_search(
    index, query: str, vector, k: int, alpha: float, filters=None, candidates: int = 100
) -> list[SearchHit]:
    """Hybrid search on any backend: the top ``max(k, candidates)`` of each side, z-score fused.

    Both backends fuse here, client-side, so the same query ranks the same way on LanceDB and on
    Weaviate (whose server-side hybrid offers only rank and min-max fusion).
    """
    n = max(k, candidates)
    if alpha >= 1:
        return zscore_fusion(index.search_dense(vector, n, filters), [], alpha, k)
    if alpha <= 0:
        return zscore_fusion([], index.search_bm25(query, n, filters), alpha, k)
    # Both searches release the GIL (Rust in LanceDB, sockets for Weaviate): run them side by side.
    dense = _SIDES.submit(index.search_dense, vector, n, filters)
    bm25 = index.search_bm25(query, n, filters)
    return zscore_fusion(dense.result(), bm25, alpha, k)
