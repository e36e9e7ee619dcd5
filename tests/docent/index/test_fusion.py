import statistics

import pytest

from docent.index.base import Chunk, SearchHit
from docent.index.fusion import zscore_fusion


def hit(cid: str, score: float) -> SearchHit:
    return SearchHit(Chunk(cid, "d", 0, cid, "h", "u"), score)


DENSE = [hit("a", 0.9), hit("b", 0.8), hit("c", 0.4)]
BM25 = [hit("c", 12.0), hit("d", 6.0), hit("a", 3.0)]


def z(scores, x):
    return (x - statistics.fmean(scores)) / statistics.pstdev(scores)


def test_scores_are_standardised_and_weighted():
    fused = {h.chunk.chunk_id: h for h in zscore_fusion(DENSE, BM25, alpha=0.6, k=10)}
    d, b = [0.9, 0.8, 0.4], [12.0, 6.0, 3.0]
    assert fused["a"].score == pytest.approx(0.6 * z(d, 0.9) + 0.4 * z(b, 3.0))
    assert fused["c"].score == pytest.approx(0.6 * z(d, 0.4) + 0.4 * z(b, 12.0))
    # missing from a list: that list's lowest standardised score
    assert fused["b"].score == pytest.approx(0.6 * z(d, 0.8) + 0.4 * z(b, 3.0))
    assert fused["d"].score == pytest.approx(0.6 * z(d, 0.4) + 0.4 * z(b, 6.0))
    assert fused["a"].dense_score == 0.9 and fused["a"].bm25_score == 3.0
    assert fused["b"].bm25_score is None


def test_alpha_extremes_reproduce_each_list():
    assert [h.chunk.chunk_id for h in zscore_fusion(DENSE, BM25, 1.0, 3)] == ["a", "b", "c"]
    assert [h.chunk.chunk_id for h in zscore_fusion(DENSE, BM25, 0.0, 3)] == ["c", "d", "a"]


def test_k_ties_and_empty_lists():
    assert len(zscore_fusion(DENSE, BM25, 0.5, 2)) == 2
    assert zscore_fusion([], [], 0.5, 5) == []
    assert [h.chunk.chunk_id for h in zscore_fusion([], BM25, 0.5, 5)] == ["c", "d", "a"]
    same = [hit("x", 1.0), hit("y", 1.0)]
    assert [h.chunk.chunk_id for h in zscore_fusion(same, [], 0.5, 2)] == ["x", "y"]


def test_a_lone_match_still_beats_chunks_the_list_did_not_return():
    fused = {h.chunk.chunk_id: h.score for h in zscore_fusion(DENSE, [hit("b", 2.5)], 0.5, 5)}
    assert fused["b"] > fused["c"]
    assert fused["b"] == pytest.approx(0.5 * z([0.9, 0.8, 0.4], 0.8) + 0.5 * 0.0)
    assert fused["c"] == pytest.approx(0.5 * z([0.9, 0.8, 0.4], 0.4) + 0.5 * -1.0)
