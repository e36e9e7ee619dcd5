"""One contract, every backend: LanceDB always; Weaviate when WEAVIATE_URL points at a server.

No Weaviate server can run on the development machines (no binary, no Docker), so there the
Weaviate half is skipped with that reason; point WEAVIATE_URL at a server to run it.
"""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

from docent.index.base import Chunk, VectorIndex
from docent.ingest.chunk import chunk_id_for, content_hash

DIM = 8


def _unit(i: int, j: int | None = None) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1.0
    if j is not None:
        v[j] = 0.5
    return v / np.linalg.norm(v)


def make_chunk(doc: str, pos: int, text: str, category: str = "NarrativeText", page: int | None = 1) -> Chunk:
    h = content_hash(text)
    return Chunk(chunk_id_for(doc, pos, h), doc, pos, text, h, f"file:///{doc}.txt", page, "Intro", category, "fp1")


CORPUS = [
    (make_chunk("doc-a", 0, "Parental leave is sixteen weeks at full pay."), _unit(0)),
    (make_chunk("doc-a", 1, "Employees accrue vacation days monthly.", page=2), _unit(1)),
    (make_chunk("doc-b", 0, "The Lisbon office opened in 2019 near the river."), _unit(2)),
    (make_chunk("doc-b", 1, "Quarterly revenue table", category="Table", page=3), _unit(3)),
    (make_chunk("doc-c", 0, "Travel hotels are capped at 180 euros per night."), _unit(4)),
]


@pytest.fixture(params=["lancedb", "weaviate"])
def index(request, tmp_path) -> VectorIndex:
    if request.param == "lancedb":
        from docent.index.lancedb import LanceDBIndex

        idx = LanceDBIndex(tmp_path / "lancedb", "conformance", DIM)
    else:
        url = os.environ.get("WEAVIATE_URL")
        if not url:
            pytest.skip("WEAVIATE_URL is not set: no Weaviate server can run on this machine (no binary, no Docker)")
        from docent.index.weaviate import WeaviateIndex
        from docent.settings import WeaviateSettings

        name = f"Conformance_{uuid.uuid4().hex[:10]}"
        idx = WeaviateIndex(WeaviateSettings(mode="custom", url=url, collection=name), dim=DIM)
        request.addfinalizer(idx.drop)
    chunks, vectors = zip(*CORPUS)
    idx.upsert(list(chunks), np.stack(vectors))
    idx.refresh()
    yield idx
    idx.close()


def ids(hits) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


def test_is_a_vector_index(index):
    assert isinstance(index, VectorIndex)
    assert index.count() == len(CORPUS)


def test_upsert_is_idempotent(index):
    chunks, vectors = zip(*CORPUS)
    index.upsert(list(chunks), np.stack(vectors))
    assert index.count() == len(CORPUS)
    assert index.chunk_ids("doc-a") == {CORPUS[0][0].chunk_id, CORPUS[1][0].chunk_id}


def test_dense_ranks_by_cosine_and_keeps_metadata(index):
    hits = index.search_dense(_unit(2, 4), k=3)
    assert ids(hits)[:2] == [CORPUS[2][0].chunk_id, CORPUS[4][0].chunk_id]
    assert hits[0].score == pytest.approx(float(_unit(2, 4) @ _unit(2)), abs=1e-4)
    assert hits[0].score >= hits[1].score >= hits[2].score
    top = hits[0].chunk
    assert top == CORPUS[2][0]


def test_bm25_finds_keywords_with_stemming(index):
    hits = index.search_bm25("hotel nights", k=2)
    assert ids(hits)[0] == CORPUS[4][0].chunk_id
    assert index.search_bm25("   ", k=2) == []


def test_hybrid_alpha_extremes_match_single_modes(index):
    vec = _unit(1)
    dense_only = index.search_hybrid("Lisbon office", vec, k=1, alpha=1.0)
    bm25_only = index.search_hybrid("Lisbon office", vec, k=1, alpha=0.0)
    assert ids(dense_only) == [CORPUS[1][0].chunk_id]
    assert ids(bm25_only) == [CORPUS[2][0].chunk_id]
    both = index.search_hybrid("Lisbon office", vec, k=5, alpha=0.5)
    assert {CORPUS[1][0].chunk_id, CORPUS[2][0].chunk_id} <= set(ids(both)[:2])


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_filters_apply_in_every_mode(index, mode):
    filters = {"doc_id": "doc-b", "category": ["Table", "Title"]}
    if mode == "dense":
        hits = index.search_dense(_unit(0), 5, filters)
    elif mode == "bm25":
        hits = index.search_bm25("revenue table", 5, filters)
    else:
        hits = index.search_hybrid("revenue table", _unit(0), 5, 0.5, filters)
    assert ids(hits) == [CORPUS[3][0].chunk_id]
    assert index.search_dense(_unit(0), 5, {"page": 2})[0].chunk.chunk_id == CORPUS[1][0].chunk_id


def test_unknown_filter_field_is_refused(index):
    with pytest.raises(ValueError, match="filterable fields"):
        index.search_dense(_unit(0), 3, {"author": "x"})


def test_delete_by_document(index):
    index.delete_documents(["doc-a", "doc-missing"])
    index.refresh()
    assert index.count() == 3
    assert index.chunk_ids("doc-a") == set()
    assert all(h.chunk.doc_id != "doc-a" for h in index.search_bm25("parental leave vacation", 5))
    assert all(h.chunk.doc_id != "doc-a" for h in index.search_dense(_unit(0), 5))


def test_vector_shape_is_checked(index):
    with pytest.raises(ValueError):
        index.upsert([CORPUS[0][0]], np.zeros((1, DIM + 1), dtype=np.float32))


def test_fetch_returns_a_documents_chunks_by_position_with_identity(index):
    found = index.fetch({"doc_id": "doc-a", "position": [1, 5]}, limit=10)
    assert [c.chunk_id for c in found] == [CORPUS[1][0].chunk_id]
    assert index.fetch({"doc_id": "doc-a", "position": []}, limit=10) == []
    named = make_chunk("doc-d", 0, "Total revenues | 12,345")
    named = Chunk(**{**named.__dict__, "organisation": "Contoso Ltd.", "period": "FY2024", "doc_type": "annual report"})
    index.upsert([named], np.stack([_unit(5)]))
    index.refresh()
    assert index.fetch({"organisation": "Contoso Ltd."}, limit=5) == [named]
    assert index.search_dense(_unit(5), 1, {"period": "FY2024"})[0].chunk == named
