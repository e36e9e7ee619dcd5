"""Answer caches: a repeated question is served in milliseconds instead of a retrieval and a model call.

Two lookups share one store. The exact cache keys on the normalised question inside a scope (filters,
conversation context, index version, model, prompt version): answers are only comparable inside one
scope. The semantic cache keeps the question's unit vector next to the entry so that a differently worded
question of the same scope can reuse it above a cosine threshold. A hit is still checked with
:func:`is_fresh`: an answer whose cited documents changed since is stale.

SQLite under the data directory by default; Redis when ``cache.redis_url`` is set (production).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from docent.settings import CacheSettings

# Sentence punctuation only: symbols that change the meaning (C#, C++, 100%) stay.
_EDGE = set("?!.,;:¿¡\"'«»“”‘’()[]{}<>。、")  # after NFKC: full-width marks are ASCII by then
# A scope's semantic search reads at most its newest entries: one bounded matmul per lookup.
_SCAN_LIMIT = 5000


@dataclass(frozen=True)
class CachedAnswer:
    text: str  # the final answer with [n] markers
    sources: list[dict]  # Source.to_dict() of the numbered sources the answer was built from
    citations: list[dict]  # resolved citations, opaque to the cache
    docs: dict[str, str]  # doc_id -> content_hash of every cited document at answer time
    model: str
    created_at: float
    question: str  # the standalone question it answered
    approved_by: str | None = None  # a reviewer approved it: a curated answer


def normalize_question(q: str) -> str:
    """Casefolded NFKC text with collapsed whitespace and no surrounding punctuation: "What is X?" == "what is x"."""
    text = " ".join(unicodedata.normalize("NFKC", q).casefold().split())
    start, end = 0, len(text)
    while start < end and (text[start] in _EDGE or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _EDGE or text[end - 1].isspace()):
        end -= 1
    return text[start:end]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def scope_key(*, filters: dict | None, context: str, index_version: str, model: str, prompt_version: str) -> str:
    """Everything but the question that an answer depends on; no filters and empty filters are the same scope."""
    parts = {"filters": filters or {}, "context": context, "index": index_version, "model": model, "prompt": prompt_version}
    return _digest(json.dumps(parts, sort_keys=True, default=str))


def exact_key(question: str, scope: str) -> str:
    return _digest(f"{scope}\n{normalize_question(question)}")


def is_fresh(answer: CachedAnswer, current_hashes: Callable[[list[str]], dict[str, str]]) -> bool:
    """True only if every cited document still exists with the same content hash; citing nothing is always fresh."""
    if not answer.docs:
        return True
    current = current_hashes(list(answer.docs))
    return all(current.get(doc_id) == h for doc_id, h in answer.docs.items())


class AnswerCache(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...

    def find_similar(self, scope: str, vector: np.ndarray, threshold: float) -> tuple[CachedAnswer, float, str] | None: ...

    def put(self, key: str, scope: str, answer: CachedAnswer, vector: np.ndarray | None = None) -> None: ...

    def delete(self, key: str) -> None: ...


def _unit(vector: np.ndarray) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _encode(answer: CachedAnswer) -> str:
    return json.dumps(asdict(answer))


def _decode(raw: str | bytes) -> CachedAnswer | None:
    """An entry written by another version of this class is a miss, not an error."""
    try:
        return CachedAnswer(**json.loads(raw))
    except (TypeError, ValueError):
        return None


def _ranked(query: np.ndarray, rows: Sequence[tuple[str, bytes]], threshold: float) -> list[tuple[str, float]]:
    """Keys at or above the threshold, most similar first; vectors of another dimension are ignored."""
    rows = [(k, b) for k, b in rows if len(b) == query.nbytes]
    if not rows:
        return []
    sims = np.frombuffer(b"".join(b for _, b in rows), dtype=np.float32).reshape(len(rows), query.size) @ query
    hits = np.flatnonzero(sims >= threshold)
    return [(rows[i][0], float(sims[i])) for i in hits[np.argsort(-sims[hits])]]


class SQLiteAnswerCache:
    """One table; the TTL counts from the put, as with Redis, and expired rows are purged lazily."""

    def __init__(self, path: Path, ttl_s: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._ttl = ttl_s
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers"
                " (key TEXT PRIMARY KEY, scope TEXT NOT NULL, stored_at REAL NOT NULL, body TEXT NOT NULL, vector BLOB)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS answers_scope ON answers (scope, stored_at)")
            self._db.execute("CREATE INDEX IF NOT EXISTS answers_stored ON answers (stored_at)")

    def _oldest_live(self) -> float:
        return time.time() - self._ttl

    def get(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._db.execute("SELECT body, stored_at FROM answers WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if row[1] < self._oldest_live():
                with self._db:
                    self._db.execute("DELETE FROM answers WHERE key = ?", (key,))
                return None
        return _decode(row[0])

    def find_similar(self, scope: str, vector: np.ndarray, threshold: float) -> tuple[CachedAnswer, float, str] | None:
        query = _unit(vector)
        with self._lock:
            rows = self._db.execute(
                "SELECT key, vector FROM answers WHERE scope = ? AND stored_at >= ? AND vector IS NOT NULL"
                " ORDER BY stored_at DESC LIMIT ?",
                (scope, self._oldest_live(), _SCAN_LIMIT),
            ).fetchall()
        for key, similarity in _ranked(query, rows, threshold):
            if (answer := self.get(key)) is not None:
                return answer, similarity, key
        return None

    def put(self, key: str, scope: str, answer: CachedAnswer, vector: np.ndarray | None = None) -> None:
        blob = _unit(vector).tobytes() if vector is not None else None
        with self._lock, self._db:
            self._db.execute("DELETE FROM answers WHERE stored_at < ?", (self._oldest_live(),))
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)", (key, scope, time.time(), _encode(answer), blob)
            )

    def delete(self, key: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM answers WHERE key = ?", (key,))


class RedisAnswerCache:
    """Shared by every API worker: entries expire by Redis TTL, a scope's vectors live in one hash.

    A hash field is the put time (float64) then the float32 vector, so that a search drops the vectors of expired
    entries (and those beyond the newest ``_SCAN_LIMIT``) without asking Redis about every entry.
    """

    def __init__(self, url: str, ttl_s: int, prefix: str = "docent:answers"):
        import redis

        self._r = redis.Redis.from_url(url)
        self._ttl = ttl_s
        self._prefix = prefix

    def _entry(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    def _scope(self, scope: str) -> str:
        return f"{self._prefix}:scope:{scope}"

    def get(self, key: str) -> CachedAnswer | None:
        raw = self._r.get(self._entry(key))
        return _decode(raw) if raw is not None else None

    def find_similar(self, scope: str, vector: np.ndarray, threshold: float) -> tuple[CachedAnswer, float, str] | None:
        fields: dict[bytes, bytes] = self._r.hgetall(self._scope(scope))
        oldest_live = time.time() - self._ttl
        newest_first = sorted(((struct.unpack_from("<d", v)[0], k, v) for k, v in fields.items()), reverse=True)
        rows = [(k.decode(), v[8:]) for stamp, k, v in newest_first[:_SCAN_LIMIT] if stamp >= oldest_live]
        dead = [k for i, (stamp, k, _) in enumerate(newest_first) if i >= _SCAN_LIMIT or stamp < oldest_live]
        if dead:
            self._r.hdel(self._scope(scope), *dead)
        for key, similarity in _ranked(_unit(vector), rows, threshold):
            if (answer := self.get(key)) is not None:
                return answer, similarity, key
            self._r.hdel(self._scope(scope), key)  # deleted since: its vector goes too
        return None

    def put(self, key: str, scope: str, answer: CachedAnswer, vector: np.ndarray | None = None) -> None:
        pipe = self._r.pipeline()
        pipe.set(self._entry(key), _encode(answer), ex=self._ttl)
        if vector is not None:
            pipe.hset(self._scope(scope), key, struct.pack("<d", time.time()) + _unit(vector).tobytes())
            pipe.expire(self._scope(scope), self._ttl)
        pipe.execute()

    def delete(self, key: str) -> None:
        """The scope hash keeps the vector until a search of that scope finds it again and drops it."""
        self._r.delete(self._entry(key))


def open_answer_cache(data_dir: Path, settings: CacheSettings) -> AnswerCache:
    if settings.redis_url:
        return RedisAnswerCache(settings.redis_url, settings.answer_ttl_s)
    return SQLiteAnswerCache(data_dir / "answer-cache.sqlite", settings.answer_ttl_s)
