"""How much one principal may ask, and how large a request may be.

Rate limits come from the ``limits`` library: a moving window per principal (``api.rate_limit``,
e.g. ``30/minute``), kept in Redis when ``cache.redis_url`` is set, so every API process counts
the same questions, and in the process otherwise. Only the routes that ask (and so cost a model
call) are charged. A refusal is 429 with ``Retry-After``.

Bodies over ``api.max_body_mb`` (uploads, ``POST /v1/documents``: ``api.max_upload_mb``) are refused
with 413: from their ``Content-Length`` before a byte is read, and a chunked body as soon as it has
sent too much.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import principal
from api.errors import ApiError, error
from docent.access import Principal

UPLOADS = ("POST", "/v1/documents")  # bodies of files: limited by api.max_upload_mb instead


class RateLimits:
    def __init__(self, rate: str, redis_url: str | None):
        self.rate, self.items = rate, parse_many(rate)
        self.limiter = MovingWindowRateLimiter(storage_from_string(redis_url or "memory://"))

    def charge(self, who: Principal) -> None:
        """Count one question of ``who``; 429 when it is over the limit."""
        for item in self.items:
            if not self.limiter.hit(item, "ask", who.id):
                reset = self.limiter.get_window_stats(item, "ask", who.id).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise ApiError(429, "rate_limited", f"more than {self.rate} questions: ask again in {wait} s "
                               "(the server's api.rate_limit)", {"Retry-After": str(wait)})


def asker(request: Request, who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The caller of a route that asks a question, charged one question."""
    request.app.state.rate_limits.charge(who)
    return who


Asker = Annotated[Principal, Depends(asker)]


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes`` (an upload's: ``upload_bytes``), never read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int):
        self.app, self.max_bytes, self.upload_bytes = app, max_bytes, upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = (scope["method"], scope["path"].rstrip("/")) == UPLOADS
        limit, setting = (self.upload_bytes, "api.max_upload_mb") if upload else (self.max_bytes, "api.max_body_mb")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            return await error(413, "too_large", self._message(limit, setting))(scope, receive, send)
        seen, refused = 0, False

        async def counted() -> Message:  # a chunked body: refused once it has sent too much
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b"")) if message["type"] == "http.request" else 0
            if seen > limit and not refused:
                refused = True
                await error(413, "too_large", self._message(limit, setting))(scope, receive, send)
                return {"type": "http.disconnect"}  # the route stops reading; its own answer is dropped
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)

    @staticmethod
    def _message(limit: int, setting: str) -> str:
        return f"the request body is over {limit / 2**20:g} MB (the server's {setting})"
