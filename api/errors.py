"""One error shape for every refusal, ``{"error": {"code", "message"}}``, and a request id on every response."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

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

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get(REQUEST_ID, "")[:64] or uuid.uuid4().hex
        request.state.request_id = rid
        response = await call_next(request)
        response.headers[REQUEST_ID] = rid
        log.info("%s %s %s request_id=%s", request.method, request.url.path, response.status_code, rid)
        return response
