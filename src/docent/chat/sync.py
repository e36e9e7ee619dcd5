"""The stream path for synchronous callers (Streamlit's script threads, plain scripts).

One event loop runs in a daemon thread per process and owns every stream; a caller iterates
:func:`iter_events` like any generator. When the caller stops early (Streamlit abandons a script
run when the user clicks Stop), closing the generator cancels the answer server-side.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from docent.chat.events import ChatEvent

if TYPE_CHECKING:
    from docent.access import Principal
    from docent.chat.service import ChatService

_END = object()
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """The process's chat event loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="docent-chat-loop", daemon=True).start()
        return _loop


def iter_events(service: ChatService, principal: Principal, message_id: str) -> Iterator[ChatEvent]:
    """The principal's answer's events, in order; leaving the loop early cancels the answer."""
    loop = background_loop()
    events = service.stream(principal, message_id)
    finished = False
    try:
        while True:
            event = asyncio.run_coroutine_threadsafe(anext(events, _END), loop).result()
            if event is _END:
                finished = True
                return
            yield event
    finally:
        if not finished:
            service.cancel(principal, message_id)
            asyncio.run_coroutine_threadsafe(events.aclose(), loop).result(timeout=30)
