"""Retrieval: ``dense``, ``bm25`` or ``hybrid`` search over the index, with metadata filters.

Hybrid is relative-score fusion (see :mod:`docent.index.fusion`), weighted by
``retrieval.alpha`` (dense share). Every mode returns :class:`SearchHit`\\ s, highest score first,
carrying the chunk text and its source metadata for citations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from docent import lookalike, priors
from docent.embed import Embedder
from docent.index.base import Filters, SearchHit, VectorIndex
from docent.index.fusion import zscore_fusion
from docent.settings import RetrievalSettings

Mode = Literal["dense", "bm25", "hybrid"]
PAGE_SLACK = 4  # dense and BM25 fetch k × this when a page cap may drop hits
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
        wide = k * PAGE_SLACK if self.settings.per_page else k  # room for the hits a page cap drops
        if mode == "bm25":
            return self._capped(self.index.search_bm25(query, wide, filters), k)
        if vector is None:
            vector = self.embedder.embed_query(query)
        if mode == "dense":
            return self._capped(self.index.search_dense(vector, wide, filters), k)
        weight = self.settings.alpha if alpha is None else alpha
        if not self.settings.lookalikes:
            candidates = max(wide, self.settings.candidates)
            hits = self.index.search_hybrid(query, vector, wide, weight, filters, candidates=candidates)
            return self._capped(self._weighed(hits, query), k)
        return self._focused(query, vector, k, weight, filters)

    def _capped(self, hits: list[SearchHit], k: int) -> list[SearchHit]:
        """The first ``k`` hits, at most ``retrieval.per_page`` from one page of one document.

        Small chunks of one page (the pieces of one table, a dense note) would otherwise fill the
        top ``k`` with one piece of evidence; the reader widens each hit to its neighbours anyway.
        Chunks without a page (text, HTML, e-mail) are never capped.
        """
        cap = self.settings.per_page
        if not cap:
            return hits[:k]
        taken: dict[tuple[str, int], int] = {}
        out = []
        for h in hits:
            if h.chunk.page is not None:
                key = (h.chunk.doc_id, h.chunk.page)
                if taken.get(key, 0) >= cap:
                    continue
                taken[key] = taken.get(key, 0) + 1
            out.append(h)
            if len(out) == k:
                break
        return out

    def _weighed(self, hits: list[SearchHit], query: str) -> list[SearchHit]:
        """Fused hits with the heading and table priors of :mod:`docent.priors` added."""
        return priors.weigh(hits, query, self.settings.heading_weight, self.settings.table_weight)

    def _focused(self, query: str, vector: np.ndarray, k: int, alpha: float, filters: Filters | None) -> list[SearchHit]:
        """Hybrid search where the documents a question names come first (:mod:`docent.lookalike`).

        The fused candidates are searched again within the documents whose organisation the
        question names (so their chunks are not crowded out by look-alikes), the two candidate
        lists are fused once more, the best-matching documents' hits come first, and a question that
        spans periods takes its hits from each matching document in turn. The priors of :mod:`docent.priors`
        (a heading naming the question's words, a table for a question asking for a figure) are added to the
        fused scores first, so they order the hits within each document.
        """
        n = max(k, self.settings.candidates)
        hits = self.index.search_hybrid(query, vector, n, alpha, filters, candidates=n)
        cue = lookalike.cues(query)
        named = lookalike.matching_documents(hits, cue)
        if named and not (filters or {}).get("doc_id"):
            within = self.index.search_hybrid(query, vector, n, alpha, {**(filters or {}), "doc_id": named}, candidates=n)
            seen = {h.chunk.chunk_id for h in hits}
            pool = [*hits, *(h for h in within if h.chunk.chunk_id not in seen)]
            dense = [SearchHit(h.chunk, h.dense_score) for h in pool if h.dense_score is not None]
            bm25 = [SearchHit(h.chunk, h.bm25_score) for h in pool if h.bm25_score is not None]
            hits = zscore_fusion(dense, bm25, alpha, len(pool))
        ranked = self._capped(lookalike.rank(self._weighed(hits, query), cue), len(hits))
        if cue.spans_documents:
            spread = lookalike.diversify(lookalike.spanned(ranked, cue), k)
            taken = {h.chunk.chunk_id for h in spread}
            return (spread + [h for h in ranked if h.chunk.chunk_id not in taken])[:k]
        return ranked[:k]
