"""One answer's events kept for the readers of its event stream, so a reader that drops loses nothing.

The answer streams into a :class:`Relay` as it did into the first reader. A reader that comes back
with ``Last-Event-ID`` gets every event after that one, then the live rest: nothing lost, nothing
twice. When the last reader leaves an unfinished answer, it is cancelled after
``api.disconnect_grace_s`` unless a reader returns. A finished answer's relay is kept for
``api.replay_s``; after that its final event is read from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from docent.chat.events import ErrorEvent
from docent.chat.request import ChatRequestError

HEARTBEAT = None  # what ``read`` yields when HEARTBEAT_S pass without an event


class StaleEventId(ValueError):
    """A Last-Event-ID this answer never sent."""


def event_id(message_id: str, n: int) -> str:
    return f"{message_id}:{n}"


def position(message_id: str, last_event_id: str | None) -> int:
    """How many events the reader already has, from its ``Last-Event-ID`` (0 without one)."""
    if not last_event_id:
        return 0
    owner, _, n = last_event_id.rpartition(":")
    if owner != message_id or not n.isdigit():
        raise StaleEventId(f"Last-Event-ID {last_event_id[:80]!r} is not an event of answer {message_id!r}")
    return int(n)


class Relay:
    def __init__(self, message_id: str, events: AsyncIterator[Any], grace_s: float, on_done: Callable[[], None]):
        self.message_id = message_id
        self.events: list[Any] = []
        self.done = False
        self.readers = 0
        self._grace_s, self._on_done = grace_s, on_done
        self._changed = asyncio.Event()
        self._pump = asyncio.create_task(self._run(events))

    async def _run(self, events: AsyncIterator[Any]) -> None:
        try:
            async for event in events:
                self.events.append(event)
                self._wake()
        except ChatRequestError as exc:  # refused as it began (e.g. streamed by another request a moment ago)
            self.events.append(ErrorEvent(message_id=self.message_id, code="bad_request", message=str(exc)))
        finally:
            await events.aclose()  # a cancelled pump closes the stream: the answer is cancelled
            self.done = True
            self._wake()
            self._on_done()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def check(self, after: int) -> None:
        """StaleEventId when a reader claims to have more events than the answer has sent."""
        if after > len(self.events):
            raise StaleEventId(f"Last-Event-ID names event {after}, but the answer has sent {len(self.events)}")

    async def read(self, after: int, heartbeat_s: float) -> AsyncIterator[tuple[int, Any]]:
        """(number, event) for each event after the ``after``-th, live; (0, HEARTBEAT) when quiet."""
        self.readers += 1
        try:
            n = after
            while True:
                while n < len(self.events):
                    n += 1
                    yield n, self.events[n - 1]
                if self.done:
                    return
                changed = self._changed
                try:
                    await asyncio.wait_for(changed.wait(), heartbeat_s)
                except TimeoutError:
                    yield 0, HEARTBEAT
        finally:
            self.readers -= 1
            if self.readers == 0 and not self.done:
                asyncio.get_running_loop().call_later(self._grace_s, self._abandon_if_unread)

    def _abandon_if_unread(self) -> None:
        if self.readers == 0 and not self.done:
            self._pump.cancel()


class Relays:
    """The relays of this process, by answer id (finished ones forgotten after ``replay_s``)."""

    def __init__(self, grace_s: float, replay_s: float):
        self._relays: dict[str, Relay] = {}
        self._grace_s, self._replay_s = grace_s, replay_s

    def get(self, message_id: str) -> Relay | None:
        return self._relays.get(message_id)

    def start(self, message_id: str, events: AsyncIterator[Any]) -> Relay:
        def forget_later() -> None:
            asyncio.get_running_loop().call_later(self._replay_s, self._relays.pop, message_id, None)

        relay = self._relays[message_id] = Relay(message_id, events, self._grace_s, forget_later)
        return relay
