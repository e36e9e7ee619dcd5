"""Retrieval: ``dense``, ``bm25`` or ``hybrid`` search over the index, with metadata filters.

Hybrid is relative-score fusion (see :mod:`docent.index.fusion`), weighted by
``retrieval.alpha`` (dense share). Every mode returns :class:`SearchHit`\\ s, highest score first,
carrying the chunk text and its source metadata for citations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from docent.embed import Embedder
from docent.index.base import Filters, SearchHit, VectorIndex
from docent.settings import RetrievalSettings

Mode = Literal["dense", "bm25", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")


class Retriever:
    def __init__(self, index: VectorIndex, embedder: Embedder, settings: RetrievalSettings, version: str = ""):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.version = version  # the index version searched (chat caches and retrieval records key on it)

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: Mode | None = None,
        filters: Filters | None = None,
        alpha: float | None = None,
        vector: np.ndarray | None = None,
    ) -> list[SearchHit]:
        """The top ``k`` chunks for ``query``; defaults come from the retrieval settings.

        ``vector`` is the query's embedding when the caller already has it (the chat embeds the
        question once for its semantic cache and for search).
        """
        k = k or self.settings.k
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        if not query.strip():
            raise ValueError("the query is empty")
        if mode == "bm25":
            return self.index.search_bm25(query, k, filters)
        if vector is None:
            vector = self.embedder.embed_query(query)
        if mode == "dense":
            return self.index.search_dense(vector, k, filters)
        weight = self.settings.alpha if alpha is None else alpha
        return self.index.search_hybrid(query, vector, k, weight, filters, candidates=self.settings.candidates)
