"""ragas embeddings backed by Docent's own embedder: the same model, backend and text cache as search.

ragas' metrics embed one text at a time; :meth:`LocalEmbeddings.prefetch` embeds a whole run's texts
in one batched call first, so the per-text calls that follow are dictionary lookups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import numpy as np
from ragas.embeddings.base import BaseRagasEmbedding


class LocalEmbeddings(BaseRagasEmbedding):
    def __init__(self, embed: Callable[[list[str]], np.ndarray]):
        super().__init__()
        self._embed = embed
        self._known: dict[str, np.ndarray] = {}

    def prefetch(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t and t not in self._known))
        if todo:
            self._known.update(zip(todo, self._embed(todo)))

    def vector(self, text: str) -> np.ndarray:
        self.prefetch([text])
        return self._known[text]

    def embed_many(self, texts: list[str]) -> np.ndarray:
        self.prefetch(texts)
        return np.stack([self._known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def embed_text(self, text: str, **kwargs) -> list[float]:
        return self.vector(text).tolist()

    def embed_texts(self, texts: list[str], **kwargs) -> list[list[float]]:
        self.prefetch(texts)
        return [self._known[t].tolist() for t in texts]

    async def aembed_text(self, text: str, **kwargs) -> list[float]:
        return self.embed_text(text) if text in self._known else await asyncio.to_thread(self.embed_text, text)

    async def aembed_texts(self, texts: list[str], **kwargs) -> list[list[float]]:
        return await asyncio.to_thread(self.embed_texts, texts)
