"""One holder at a time, across processes and machines: a lock that a crash releases by itself.

On Postgres, a session advisory lock on a connection of its own (the server drops it when the
connection dies); on a SQLite file, an OS lock on a file beside the database (released when the
process dies). An in-memory SQLite database is one process's own: nothing to lock.

A waiter is told who holds the lock ("host:pid since 12:03:07"): the holder names itself in its
connection's ``application_name`` on Postgres, and in a ``.holder`` file beside the lock file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout


class LockTimeout(RuntimeError):
    """Another holder kept the lock longer than we were willing to wait."""


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()} since {time.strftime('%H:%M:%S')}"


def _key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(f"docent:{name}".encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.contextmanager
def exclusive(engine: sa.Engine, name: str, timeout_s: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock ``name`` of ``engine``'s database while the block runs; ``on_wait`` is called once,
    with who holds it, if another holder makes us wait; :class:`LockTimeout` after ``timeout_s``."""
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name, timeout_s, on_wait):
            yield
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock, holder = FileLock(f"{database}.{name}.lock"), Path(f"{database}.{name}.holder")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait(_read(holder))
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout:
            raise LockTimeout(f"{name}: still held by {_read(holder)} after {timeout_s:g} s") from None
    try:
        holder.write_text(_me())
        yield
    finally:
        lock.release()


def _read(holder: Path) -> str:
    try:
        return holder.read_text().strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def _advisory(engine: sa.Engine, name: str, timeout_s: float, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    key, waited, deadline = _key(name), False, time.monotonic() + timeout_s
    with engine.connect() as conn:
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.rollback()
            if not waited and on_wait:
                on_wait(_pg_holder(conn, key))
            waited = True
            if time.monotonic() > deadline:
                raise LockTimeout(f"{name}: still held by {_pg_holder(conn, key)} after {timeout_s:g} s")
            time.sleep(0.2)  # polling the server: it has no event to wait on
        conn.execute(sa.text("SELECT set_config('application_name', :me, false)"), {"me": f"docent {_me()}"[:63]})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.execute(sa.text("RESET application_name"))
            conn.commit()


def _pg_holder(conn: sa.Connection, key: int) -> str:
    """Who holds advisory lock ``key``: the holder's application_name, else its server session."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(sa.text(
        "SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}).first()
    conn.rollback()
    if row is None:
        return "another session"
    name, address, pid = row
    return name.removeprefix("docent ") if name and name.startswith("docent ") else f"server session {pid} ({address or 'local'})"
