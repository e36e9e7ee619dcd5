"""Vector index backends behind one protocol; ``open_index`` picks the configured one."""

from __future__ import annotations

from pathlib import Path

from docent.index.base import Chunk, Filters, SearchHit, VectorIndex
from docent.settings import Settings

__all__ = ["Chunk", "Filters", "SearchHit", "VectorIndex", "open_index", "table_name"]


def table_name(settings: Settings) -> str:
    """Each index fingerprint gets its own table/collection, so a config change never mixes vectors."""
    return f"{settings.index.table}_{settings.index_fingerprint()}"


def open_index(settings: Settings, dim: int, *, name: str | None = None, data_dir: Path | None = None) -> VectorIndex:
    """The configured backend. ``name`` and ``data_dir`` select a throwaway index instead of the live one."""
    if settings.index.backend == "weaviate":
        from docent.index.weaviate import WeaviateIndex

        w = settings.index.weaviate
        collection = name or f"{w.collection}_{settings.index_fingerprint()}"
        return WeaviateIndex(w.model_copy(update={"collection": collection}), dim=dim)
    from docent.index.lancedb import LanceDBIndex

    return LanceDBIndex((data_dir or settings.data_dir) / "lancedb", name or table_name(settings), dim)
