"""Embedding cache keyed by (model id, text hash): unchanged text is never embedded twice.

SQLite under the data directory by default; Redis when ``cache.redis_url`` is set (production).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class EmbeddingCache(Protocol):
    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None: ...


class SQLiteEmbeddingCache:
    """One small table; vectors stored as float32 bytes."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
            )

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})", [model_id, *part]
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        rows = [(model_id, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)


class RedisEmbeddingCache:
    """Shared cache for several ingestion workers."""

    def __init__(self, url: str, prefix: str = "docent:emb"):
        import redis

        self._r = redis.Redis.from_url(url)
        self._prefix = prefix

    def _key(self, model_id: str, h: str) -> str:
        return f"{self._prefix}:{model_id}:{h}"

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        unique = list(dict.fromkeys(hashes))
        if not unique:
            return {}
        values = self._r.mget([self._key(model_id, h) for h in unique])
        return {h: np.frombuffer(v, dtype=np.float32) for h, v in zip(unique, values) if v is not None}

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        if vectors:
            self._r.mset({self._key(model_id, h): np.asarray(v, dtype=np.float32).tobytes() for h, v in vectors.items()})


def open_cache(data_dir: Path, redis_url: str | None) -> EmbeddingCache:
    return RedisEmbeddingCache(redis_url) if redis_url else SQLiteEmbeddingCache(data_dir / "embedding-cache.sqlite")
