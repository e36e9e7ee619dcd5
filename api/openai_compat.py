"""OpenAI-compatible chat: ``POST /v1/chat/completions`` (streamed or not) and ``GET /v1/models``, so the
official ``openai`` client and any tool that speaks that API work by changing ``base_url`` and ``api_key``.

The model ``docent`` answers from the live index version, ``docent/<version>`` (id or unique prefix;
listed once built) from that one, e.g. a new version before it goes live. The last user message is the question and the earlier user/assistant turns are its history (system
messages and sampling parameters are accepted and ignored: Docent's prompt and model are the server's).
The answer keeps its ``[n]`` markers; its sources travel in the ``docent`` field of the response (and
of the last streamed chunk): ``{"message_id", "conversation_id", "citations", "held", "state", "cache_hit"}``.
``usage`` counts the model call's tokens (zero for an answer served from the cache).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.errors import ApiError
from api.limits import Asker
from api.messages import conversation_of

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL = "docent"


class Turn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class Completion(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, max_tokens…: accepted, the server decides

    model: str
    messages: list[Turn] = Field(..., min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None


@router.get("/models")
async def models(caller: Caller, request: Request) -> dict:
    """``docent`` answers from the live index; ``docent/<version>`` from that built index version."""
    versions = await run_in_threadpool(request.app.state.versions.all)
    built = [{"id": f"{MODEL}/{v.version}", "object": "model", "created": int(v.built_at.timestamp()),
              "owned_by": "docent"} for v in versions if v.built_at is not None]
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "docent"}, *built]}


def _question(body: Completion) -> tuple[str, list[tuple[str, str]], str | None]:
    """The question, its history, and the index version the model names (None: the live one)."""
    name, _, version = body.model.partition("/")
    if name != MODEL or (body.model != MODEL and not version):
        raise ApiError(404, "model_not_found", f"no model {body.model!r}: use {MODEL!r} or {MODEL}/<index version> "
                       "(GET /v1/models)")
    turns = [(t.role, t.text()) for t in body.messages if t.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user":
        raise ApiError(400, "bad_request", "the last message must be the user's question")
    return turns[-1][1], turns[:-1], version or None


def _usage(final: Any) -> dict:
    prompt, completion = int(final.usage.get("prompt_tokens") or 0), int(final.usage.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extension(final: Any, conversation_id: str) -> dict:
    return {"message_id": final.message_id, "conversation_id": conversation_id, "citations": final.citations,
            "held": final.held, "state": final.state, "cache_hit": final.cache_hit}


@router.post("/chat/completions")
async def completions(body: Completion, caller: Asker, request: Request) -> Any:
    """Ask as an OpenAI client would; ``stream: true`` sends ``chat.completion.chunk`` events, then ``[DONE]``."""
    service = request.app.state.chat
    question, history, version = _question(body)
    message_id = await run_in_threadpool(service.start, caller, question, None, None, None, history, version)
    conversation_id = await conversation_of(service, caller, message_id)
    events = service.stream(caller, message_id)
    base = {"id": f"chatcmpl-{message_id}", "created": int(time.time()), "model": body.model}
    if body.stream:
        usage_chunk = bool((body.stream_options or {}).get("include_usage"))
        return StreamingResponse(_chunks(events, base, conversation_id, usage_chunk), media_type="text/event-stream")
    async for event in events:
        if event.kind == "error":
            return JSONResponse({"error": {"code": event.code, "message": event.message}}, status_code=502)
        if event.kind == "final":
            message = {"role": "assistant", "content": event.text}
            return {**base, "object": "chat.completion", "usage": _usage(event), "docent": _extension(event, conversation_id),
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    raise ApiError(502, "no_answer", "the answer ended without a final event")


async def _chunks(events: AsyncIterator[Any], base: dict, conversation_id: str, usage_chunk: bool) -> AsyncIterator[bytes]:
    """The answer as OpenAI stream chunks; a client that disconnects closes ``events``, which cancels it."""
    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> bytes:
        body = {**base, "object": "chat.completion.chunk", **extra,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body, default=str)}\n\n".encode()

    try:
        yield chunk({"role": "assistant", "content": ""})
        async for event in events:
            if event.kind == "token":
                yield chunk({"content": event.text})
            elif event.kind == "error":
                yield f"data: {json.dumps({'error': {'code': event.code, 'message': event.message}})}\n\n".encode()
                break
            elif event.kind == "final":
                yield chunk({}, "stop", docent=_extension(event, conversation_id))
                if usage_chunk:
                    body = {**base, "object": "chat.completion.chunk", "choices": [], "usage": _usage(event)}
                    yield f"data: {json.dumps(body)}\n\n".encode()
        yield b"data: [DONE]\n\n"
    finally:
        await events.aclose()
