import pytest

from docent.index.base import Chunk, SearchHit
from docent.index.fusion import relative_score_fusion


def hit(cid: str, score: float) -> SearchHit:
    return SearchHit(Chunk(cid, "d", 0, cid, "h", "u"), score)


DENSE = [hit("a", 0.9), hit("b", 0.8), hit("c", 0.5)]
BM25 = [hit("c", 12.0), hit("d", 6.0), hit("a", 3.0)]


def test_scores_are_min_max_normalised_and_weighted():
    fused = {h.chunk.chunk_id: h for h in relative_score_fusion(DENSE, BM25, alpha=0.5, k=10)}
    assert fused["a"].score == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert fused["c"].score == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert fused["b"].score == pytest.approx(0.5 * (0.3 / 0.4))
    assert fused["d"].score == pytest.approx(0.5 * (3.0 / 9.0))
    assert fused["a"].dense_score == 0.9 and fused["a"].bm25_score == 3.0
    assert fused["b"].bm25_score is None


def test_alpha_extremes_reproduce_each_list():
    assert [h.chunk.chunk_id for h in relative_score_fusion(DENSE, BM25, 1.0, 3)] == ["a", "b", "c"]
    assert [h.chunk.chunk_id for h in relative_score_fusion(DENSE, BM25, 0.0, 3)] == ["c", "d", "a"]


def test_k_and_empty_lists():
    assert len(relative_score_fusion(DENSE, BM25, 0.5, 2)) == 2
    assert relative_score_fusion([], [], 0.5, 5) == []
    only = relative_score_fusion([], BM25, 0.5, 5)
    assert [h.chunk.chunk_id for h in only] == ["c", "d", "a"]
