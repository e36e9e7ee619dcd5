"""The background writer: everything slow about an answer happens here, never before a token.

One daemon thread takes jobs in order (mark streaming, checkpoint partial text, write the final
answer with its trace and retrieval record, ground its citations, fill the cache). A job that
fails on a transient store error (the database or Redis restarting, a lock timeout) is retried
with backoff for up to ``retry_for_s``; checkpoints of the same message coalesce, so a slow store
falls behind by one write per message rather than one per second of streaming.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.exc

log = logging.getLogger("docent.finalize")

try:  # Redis backs the caches in production; its connection errors are transient too
    import redis.exceptions as _redis

    _REDIS_TRANSIENT: tuple[type[BaseException], ...] = (_redis.ConnectionError, _redis.TimeoutError)
except ImportError:  # pragma: no cover - redis is a dependency; kept optional for the core
    _REDIS_TRANSIENT = ()

TRANSIENT = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, ConnectionError, TimeoutError, *_REDIS_TRANSIENT)


@dataclass
class _Job:
    run: Callable[[], None]
    what: str
    key: str | None
    seq: int
    submitted: float
    tag: str | None = None


class Finalizer:
    def __init__(self, retry_for_s: float = 60.0, first_backoff_s: float = 0.1):
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._latest: dict[str, int] = {}
        self._seq = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._tagged: Counter[str] = Counter()  # jobs not yet done, per tag (a conversation)
        self.retry_for_s = retry_for_s
        self.first_backoff_s = first_backoff_s
        self.lags_ms: deque[float] = deque(maxlen=10_000)  # submit → done, for the benchmark and stats
        self.failures = 0
        self._thread = threading.Thread(target=self._work, name="docent-finalizer", daemon=True)
        self._thread.start()

    def submit(self, run: Callable[[], None], what: str, coalesce: str | None = None, tag: str | None = None) -> None:
        """Queue ``run``; with ``coalesce``, an older queued job of the same key is skipped; ``tag``
        lets :meth:`wait_for_tag` wait for this job alone."""
        with self._lock:
            self._seq += 1
            if coalesce:
                self._latest[coalesce] = self._seq
            self._pending += 1
            if tag:
                self._tagged[tag] += 1
            job = _Job(run, what, coalesce, self._seq, time.perf_counter(), tag)
        self._queue.put(job)

    def wait_for_tag(self, tag: str, timeout: float | None = None) -> bool:
        """Wait until the jobs tagged ``tag`` are done (not the whole queue); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._tagged[tag] == 0, timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued job is done; False if ``timeout`` ran out first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    @property
    def backlog(self) -> int:
        return self._pending

    def close(self, timeout: float = 30.0) -> None:
        self.flush(timeout)
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                if job.key is None or self._latest.get(job.key) == job.seq:
                    self._attempt(job)
                    self.lags_ms.append((time.perf_counter() - job.submitted) * 1000)
            finally:
                with self._idle:
                    if job.key is not None and self._latest.get(job.key) == job.seq:
                        del self._latest[job.key]
                    self._pending -= 1
                    if job.tag:
                        self._tagged[job.tag] -= 1
                        if not self._tagged[job.tag]:
                            del self._tagged[job.tag]
                    self._idle.notify_all()

    def _attempt(self, job: _Job) -> None:
        backoff, deadline = self.first_backoff_s, time.monotonic() + self.retry_for_s
        while True:
            try:
                job.run()
                return
            except TRANSIENT as exc:
                if time.monotonic() + backoff > deadline:
                    self.failures += 1
                    log.error("gave up on %s after %.0f s of transient errors: %s", job.what, self.retry_for_s, exc)
                    return
                log.warning("%s failed (%s); retrying in %.1f s", job.what, exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                self.failures += 1
                log.exception("%s failed", job.what)
                return
