"""One error shape for every refusal, ``{"error": {"code", "message"}}``, and a request id on every response."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docent.access import PermissionDenied
from docent.chat.request import Busy, ChatRequestError, UnknownId, UnknownIndexVersion
from docent.review.api_keys import KeyRefused

log = logging.getLogger("docent.api")
REQUEST_ID = "X-Request-ID"


class ApiError(Exception):
    """A refusal with its HTTP status and a stable code for programs."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers or {}


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid request")


def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback and request id; the caller gets the id to report, never the details."""
    rid = getattr(request.state, "request_id", "")
    log.error("internal error in %s %s request_id=%s", request.method, request.url.path, rid, exc_info=exc)
    return error(500, "internal", f"internal error: report request id {rid}", {REQUEST_ID: rid} if rid else None)


def install(app: FastAPI) -> None:
    """The exception handlers (core refusals → statuses) and the request-id middleware."""
    refusals: list[tuple[type[Exception], int, str]] = [
        (KeyRefused, 401, "unauthorized"), (PermissionDenied, 403, "forbidden"), (UnknownId, 404, "not_found"),
        (UnknownIndexVersion, 404, "model_not_found"),
        (Busy, 429, "busy"), (ChatRequestError, 400, "bad_request"),
    ]
    for kind, status, code in refusals:
        headers = {"WWW-Authenticate": 'Bearer realm="docent"'} if status == 401 else None
        app.add_exception_handler(kind, lambda _r, exc, s=status, c=code, h=headers: error(s, c, str(exc), h))
    app.add_exception_handler(ApiError, lambda _r, exc: error(exc.status, exc.code, str(exc), exc.headers))
    app.add_exception_handler(RequestValidationError, lambda _r, exc: error(422, "invalid", _validation_message(exc)))
    app.add_exception_handler(HTTPException, lambda _r, exc: error(exc.status_code, "http", str(exc.detail)))
    app.add_exception_handler(Exception, _internal)

    app.add_middleware(RequestId)


class RequestId:
    """ASGI middleware: the caller's ``X-Request-ID`` (or a new one) on the request's state, the response and the
    log line. Plain ASGI, not ``@app.middleware``: that one relays every streamed event through a task and a queue."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(REQUEST_ID.lower().encode(), b"").decode("latin-1")[:64]
        rid = given or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID] = rid
                log.info("%s %s %s request_id=%s", scope["method"], scope["path"], message["status"], rid)
            await send(message)

        await self.app(scope, receive, stamped)
