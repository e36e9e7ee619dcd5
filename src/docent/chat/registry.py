"""The answers this process is serving: accepted but not yet streaming (pending), and streaming (active).

The command path adds a pending request; the stream takes it and registers an :class:`Active`
handle, which :meth:`Active.cancel` stops from any thread. Both count against the process's
limit; a person's answers in progress are counted in the store, over every process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from docent.chat.request import Request


@dataclass
class Active:
    """A streaming answer: the task producing it, and a sticky flag a racing cancel cannot miss."""

    loop: asyncio.AbstractEventLoop
    user_id: str
    task: asyncio.Task | None = None
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)


class Streams:
    """Thread-safe registry of pending requests and active streams."""

    def __init__(self) -> None:
        self._pending: dict[str, Request] = {}
        self._active: dict[str, Active] = {}
        self._lock = threading.Lock()

    def admit(self, request: Request, most: int) -> bool:
        """Add ``request`` as pending unless ``most`` answers are pending or streaming here; False then."""
        with self._lock:
            if len(self._pending) + len(self._active) >= most:
                return False
            self._pending[request.message_id] = request
            return True

    def pending_ids(self) -> list[str]:
        with self._lock:
            return list(self._pending)

    def forget(self, message_ids: Collection[str]) -> None:
        """Drop these pending requests (another process took them: their reader went there)."""
        with self._lock:
            for message_id in message_ids:
                self._pending.pop(message_id, None)

    def expire(self, older_than_s: float) -> list[Request]:
        """Remove and return the pending requests accepted more than ``older_than_s`` ago: nobody streamed them."""
        cutoff = time.monotonic() - older_than_s
        with self._lock:
            stale = [r for r in self._pending.values() if r.accepted_at < cutoff]
            for r in stale:
                del self._pending[r.message_id]
        return stale

    def pending(self, message_id: str, owners: Collection[str]) -> Request | None:
        """The pending request of one of ``owners``, left in place; None when there is none."""
        with self._lock:
            request = self._pending.get(message_id)
            return request if request is not None and request.user_id in owners else None

    def take(self, message_id: str, owners: Collection[str]) -> Request | None:
        """The pending request of one of ``owners``, removed (the stream now owns it); None when there is none."""
        with self._lock:
            request = self._pending.get(message_id)
            return self._pending.pop(message_id) if request is not None and request.user_id in owners else None

    def activate(self, message_id: str, active: Active) -> None:
        with self._lock:
            self._active[message_id] = active

    def finish(self, message_id: str) -> None:
        with self._lock:
            self._active.pop(message_id, None)

    def stop(self, message_id: str, owners: Collection[str]) -> tuple[Active | None, Request | None]:
        """Cancel a streaming answer of ``owners`` (its handle is returned), or drop a pending one (its request is)."""
        with self._lock:
            active = self._active.get(message_id)
            if active is not None and active.user_id not in owners:
                return None, None
            request = self._pending.get(message_id) if active is None else None
            if request is not None and request.user_id not in owners:
                return None, None
            pending = self._pending.pop(message_id) if request is not None else None
        if active is not None:
            active.cancel()
        return active, pending
