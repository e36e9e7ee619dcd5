"""The embedded default index: a LanceDB table on disk under the data directory.

Dense search is exact (brute force) below ``ANN_MIN_ROWS`` rows and uses an IVF-HNSW index
above it; BM25 uses LanceDB's native full-text index (stemmed, stop words removed), refreshed
after each write batch so new text is searchable at once.

A table handle is opened once and kept for the life of the process (the API, the app and Dagster
cache their readers), while ingestion usually runs in another process (the CLI, a Dagster run).
LanceDB's default never looks for versions written by another process, so such a reader served
the index as it was when opened until restart. Every handle therefore re-checks the table's latest
version at most every ``READ_CONSISTENCY_S`` seconds (a listing of its ``_versions`` folder, ~0.2 ms
at 50 versions, ~0.6 ms at 1,000); once per read (interval 0) would pay that on each of a
hybrid search's two or four queries. Dense and BM25 both follow, since the native full-text
index is part of the version read. Writes are always made against the latest version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa

from docent.index.base import Chunk, Filters, SearchHit, validate_filters
from docent.index.fusion import fused_search

_COLUMNS = ("chunk_id", "doc_id", "position", "text", "content_hash", "source_uri", "page", "section", "category",
            "fingerprint", "title", "organisation", "doc_type", "period")
ANN_MIN_ROWS = 50_000
READ_CONSISTENCY_S = 1.0  # how stale another process's writes may look to a long-lived reader (as ALIAS_TTL_S)


def _schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            ("chunk_id", pa.string()),
            ("doc_id", pa.string()),
            ("position", pa.int32()),
            ("text", pa.string()),
            ("content_hash", pa.string()),
            ("source_uri", pa.string()),
            ("page", pa.int32()),
            ("section", pa.string()),
            ("category", pa.string()),
            ("fingerprint", pa.string()),
            ("title", pa.string()),
            ("organisation", pa.string()),
            ("doc_type", pa.string()),
            ("period", pa.string()),
            ("vector", pa.list_(pa.float32(), dim)),
        ]
    )


def _sql_value(value: str | int) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"filter values must be strings or integers, got {value!r}")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def where_clause(filters: Filters | None) -> str | None:
    """Translate an equality/any-of filter mapping into a LanceDB SQL predicate."""
    parts = []
    for key, value in validate_filters(filters).items():
        if isinstance(value, (list, tuple, set)):
            parts.append(f"{key} IN ({', '.join(_sql_value(v) for v in value)})" if value else "FALSE")
        else:
            parts.append(f"{key} = {_sql_value(value)}")
    return " AND ".join(parts) or None


def _chunk(row: dict) -> Chunk:
    return Chunk(**{c: row[c] for c in _COLUMNS if c in row})


class LanceDBIndex:
    """A :class:`~docent.index.base.VectorIndex` over one LanceDB table."""

    def __init__(self, path: Path, table: str, dim: int):
        path.mkdir(parents=True, exist_ok=True)
        self._db = lancedb.connect(str(path), read_consistency_interval=timedelta(seconds=READ_CONSISTENCY_S))
        self._name = table
        self._dim = dim
        self._fts_stale = False
        if table in self._db.table_names():
            self._table = self._db.open_table(table)
        else:
            self._table = self._db.create_table(table, schema=_schema(dim))
            self._create_fts()
        # A table built before a column existed (an older index version) is still read, without it.
        self._columns = [c for c in _COLUMNS if c in self._table.schema.names]

    @property
    def name(self) -> str:
        return self._name

    def _create_fts(self) -> None:
        self._table.create_fts_index("text", replace=True, stem=True, remove_stop_words=True, ascii_folding=True)

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        if not chunks:
            return
        if vectors.shape != (len(chunks), self._dim):
            raise ValueError(f"expected vectors of shape ({len(chunks)}, {self._dim}), got {vectors.shape}")
        columns = {c: [getattr(ch, c) for ch in chunks] for c in _COLUMNS}
        columns["vector"] = list(np.asarray(vectors, dtype=np.float32))
        data = pa.Table.from_pydict(columns, schema=_schema(self._dim))
        (
            self._table.merge_insert("chunk_id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )
        self._fts_stale = True

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        for i in range(0, len(ids), 500):
            self._table.delete(where_clause({"doc_id": ids[i : i + 500]}))
        self._fts_stale = self._fts_stale or bool(ids)

    def refresh(self) -> None:
        """Fold new rows into the full-text index and build the ANN index once the table is big."""
        if self._fts_stale:
            self._table.optimize()
            self._fts_stale = False
        if self.count() >= ANN_MIN_ROWS and not any(i.index_type.startswith("IVF") for i in self._table.list_indices()):
            self._table.create_index(metric="cosine", index_type="IVF_HNSW_SQ", vector_column_name="vector")

    def _rows(self, query, k: int, filters: Filters | None, score: str) -> list[dict]:
        where = where_clause(filters)
        if where:
            query = query.where(where, prefilter=True)
        # The vector column is never returned: converting 384 floats per hit would cost more than the search.
        return query.select([*self._columns, score]).limit(k).to_list()

    def search_dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[SearchHit]:
        query = self._table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector").distance_type("cosine")
        rows = self._rows(query, k, filters, "_distance")
        return [SearchHit(_chunk(r), 1.0 - r["_distance"], dense_score=1.0 - r["_distance"]) for r in rows]

    def search_bm25(self, query: str, k: int, filters: Filters | None = None) -> list[SearchHit]:
        if not query.strip():
            return []
        rows = self._rows(self._table.search(query, query_type="fts", fts_columns="text"), k, filters, "_score")
        return [SearchHit(_chunk(r), float(r["_score"]), bm25_score=float(r["_score"])) for r in rows]

    def search_hybrid(
        self, query: str, vector: np.ndarray, k: int, alpha: float, filters: Filters | None = None, candidates: int = 100
    ) -> list[SearchHit]:
        return fused_search(self, query, vector, k, alpha, filters, candidates)

    def fetch(self, filters: Filters, limit: int) -> list[Chunk]:
        rows = self._table.search().where(where_clause(filters)).select(self._columns).limit(limit).to_list()
        return [_chunk(r) for r in rows]

    def count(self) -> int:
        return self._table.count_rows()

    def chunk_ids(self, doc_id: str) -> set[str]:
        rows = self._table.search().where(where_clause({"doc_id": doc_id})).select(["chunk_id"]).limit(None).to_list()
        return {r["chunk_id"] for r in rows}

    def chunk_counts(self) -> dict[str, int]:
        ids = self._table.search().select(["doc_id"]).limit(None).to_arrow().column("doc_id")
        counts = ids.value_counts()
        return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))

    def to_arrow(self) -> pa.Table:
        """The whole table (benchmarks and exports)."""
        return self._table.to_arrow()

    def drop(self) -> None:
        self._db.drop_table(self._name)

    def close(self) -> None:
        """LanceDB holds no server connection; nothing to release."""
