"""The vector index contract every backend (LanceDB, Weaviate) fulfils.

Scores are "higher is better" in every mode so callers never care which backend answered.
Hybrid search fuses the two lists by standardised score, weighted ``alpha`` (dense) against
``1 - alpha`` (BM25), the same way on every backend: see :mod:`docent.index.fusion`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

# Metadata a search can be filtered on. A value is matched exactly; a list/tuple matches any of its values.
FILTERABLE_FIELDS = ("chunk_id", "doc_id", "source_uri", "category", "section", "page", "position", "fingerprint",
                     "organisation", "doc_type", "period")
Filters = Mapping[str, "str | int | Sequence[str | int]"]


@dataclass(frozen=True)
class Chunk:
    """One indexed passage with the metadata needed to cite it."""

    chunk_id: str
    doc_id: str
    position: int
    text: str
    content_hash: str
    source_uri: str
    page: int | None = None
    section: str = ""
    category: str = ""
    fingerprint: str = ""
    # The document's identity (docent.ingest.identity): what tells it from look-alikes.
    title: str = ""
    organisation: str = ""
    doc_type: str = ""
    period: str = ""


@dataclass(frozen=True)
class SearchHit:
    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None


def validate_filters(filters: Filters | None) -> dict:
    """Refuse unknown filter keys up front, with the list of valid ones."""
    if not filters:
        return {}
    unknown = set(filters) - set(FILTERABLE_FIELDS)
    if unknown:
        raise ValueError(
            f"unknown filter field(s) {sorted(unknown)}; filterable fields are {list(FILTERABLE_FIELDS)}"
        )
    return dict(filters)


@runtime_checkable
class VectorIndex(Protocol):
    """Stores chunks with their vectors; searches them densely, lexically or both."""

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert or replace chunks by ``chunk_id`` (idempotent)."""

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        """Remove every chunk of these documents."""

    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[SearchHit]: ...

    def search_bm25(self, query: str, k: int, filters: Filters | None = None) -> list[SearchHit]: ...

    def search_hybrid(
        self, query: str, vector: np.ndarray, k: int, alpha: float, filters: Filters | None = None, candidates: int = 100
    ) -> list[SearchHit]:
        """Fuse the top ``candidates`` of each side (see the module docstring), return the top ``k``."""

    def fetch(self, filters: Filters, limit: int) -> list[Chunk]:
        """Up to ``limit`` chunks matching ``filters``, unranked (a hit's neighbours, for context)."""

    def count(self) -> int: ...

    def chunk_ids(self, doc_id: str) -> set[str]:
        """The chunk ids stored for one document (used by tests and sync checks)."""

    def chunk_counts(self) -> dict[str, int]:
        """Chunks stored per document id (sync checks: they must equal the manifest's counts)."""

    def refresh(self) -> None:
        """Make everything written so far searchable and well indexed (call after a write batch)."""

    def drop(self) -> None:
        """Delete the whole table/collection (throwaway indexes, tests)."""

    def close(self) -> None: ...
