"""One holder at a time, across processes and machines: a lock that a crash releases by itself.

On Postgres, a session advisory lock on a connection of its own (the server drops it when the
connection dies); on a SQLite file, an OS lock on a file beside the database (released when the
process dies). An in-memory SQLite database is one process's own: nothing to lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from filelock import FileLock, Timeout


class LockTimeout(RuntimeError):
    """Another holder kept the lock longer than we were willing to wait."""


def _key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(f"docent:{name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.contextmanager
def exclusive(engine: sa.Engine, name: str, timeout_s: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock ``name`` of ``engine``'s database while the block runs; ``on_wait`` is called once
    if another holder makes us wait; :class:`LockTimeout` after ``timeout_s``."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, timeout_s, on_wait):
            yield
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock = FileLock(f"{database}.{name}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait()
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout:
            raise LockTimeout(f"{name}: still held by another process after {timeout_s:g} s") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _advisory(engine: sa.Engine, name: str, timeout_s: float, on_wait: Callable[[], None] | None) -> Iterator[None]:
    key, waited, deadline = _key(name), False, time.monotonic() + timeout_s
    with engine.connect() as conn:
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.rollback()
            if not waited and on_wait:
                on_wait()
            waited = True
            if time.monotonic() > deadline:
                raise LockTimeout(f"{name}: still held by another session after {timeout_s:g} s")
            time.sleep(0.2)  # polling the server: it has no event to wait on
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
