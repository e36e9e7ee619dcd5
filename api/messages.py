"""Chat over HTTP, command and stream kept apart: ``POST /v1/messages`` records the question (the command
path only) and answers 202 with the stream's URL; ``GET …/events`` is a thin Server-Sent-Events relay of
:meth:`ChatService.stream`; cancel, read and list go straight to the core, which checks ownership."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.errors import ApiError
from api.limits import Asker
from api.relay import HEARTBEAT, Relay, StaleEventId, event_id, position
from docent.access import Principal
from docent.chat.events import ErrorEvent, FinalEvent
from docent.chat.states import TERMINAL, State
from docent.store.records import ConversationRecord, MessageRecord

router = APIRouter(prefix="/v1", tags=["chat"])
HEARTBEAT_S = 15.0


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., max_length=20_000, description="what to ask")
    conversation_id: str | None = Field(None, max_length=64, description="continue this conversation (yours)")
    filters: dict[str, Any] | None = Field(None, description="metadata filters, e.g. {\"doc_id\": \"…\"}")


class Accepted(BaseModel):
    message_id: str
    conversation_id: str
    stream_url: str


class Message(BaseModel):
    id: str
    conversation_id: str
    role: str
    state: str | None
    question: str | None
    text: str
    citations: list[dict] = []
    error_code: str | None = None
    error_message: str | None = None
    metrics: dict | None = None
    created_at: datetime
    ended_at: datetime | None = None


class Conversation(BaseModel):
    id: str
    title: str | None
    created_at: datetime
    updated_at: datetime


def _message(r: MessageRecord) -> Message:
    return Message(id=r.id, conversation_id=r.conversation_id, role=r.role, state=r.state, question=r.question,
                   text=r.content, citations=r.citations or [], error_code=r.error_code, error_message=r.error_message,
                   metrics=r.metrics, created_at=r.created_at, ended_at=r.ended_at)


def _conversation(c: ConversationRecord) -> Conversation:
    return Conversation(id=c.id, title=c.title, created_at=c.created_at, updated_at=c.updated_at)


@router.post("/messages", status_code=202, response_model=Accepted)
async def ask(body: Question, caller: Asker, request: Request) -> Accepted:
    """Record a question as ``queued`` (auth, validation, limits, one write); stream its answer from ``stream_url``."""
    service = request.app.state.chat
    message_id = await run_in_threadpool(service.start, caller, body.question, body.conversation_id, body.filters)
    return Accepted(message_id=message_id, conversation_id=await conversation_of(service, caller, message_id),
                    stream_url=f"/v1/messages/{message_id}/events")


async def conversation_of(service: Any, caller: Principal, message_id: str) -> str:
    """The conversation of an answer just accepted: from memory while it waits for its reader, else the store."""
    if (pending := service.accepted(caller, message_id)) is not None:
        return pending.conversation_id
    return (await run_in_threadpool(service.answer, caller, message_id)).conversation_id


def _frame(message_id: str, n: int, event: Any) -> bytes:
    if event is HEARTBEAT:
        return b": keep-alive\n\n"
    data = json.dumps(asdict(event), default=str)
    return f"id: {event_id(message_id, n)}\nevent: {event.kind}\ndata: {data}\n\n".encode()


def _replay(record: MessageRecord) -> Any:
    """A finished answer, from the store, as the one event it ended with."""
    if record.state == State.FAILED:
        return ErrorEvent(message_id=record.id, code=record.error_code or "failed", message=record.error_message or "",
                          text=record.content)
    return FinalEvent(message_id=record.id, state=record.state, text=record.content, citations=record.citations or [],
                      cache_hit=record.cache_hit, metrics=record.metrics or {})


async def _frames(message_id: str, relay: Relay, after: int) -> AsyncIterator[bytes]:
    async for n, event in relay.read(after, HEARTBEAT_S):
        yield _frame(message_id, n, event)


async def _one(message_id: str, event: Any) -> AsyncIterator[bytes]:
    yield _frame(message_id, 1, event)


@router.get("/messages/{message_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def events(message_id: str, caller: Caller, request: Request,
                 last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """The answer's events (``sources``, ``token``…, ``held``, then ``final`` or ``error``), as Server-Sent Events.

    Send ``Last-Event-ID`` to resume after that event. A reader that leaves an unfinished answer for
    ``api.disconnect_grace_s`` cancels it.
    """
    service, relays = request.app.state.chat, request.app.state.relays
    # the first reader of an answer accepted here is checked in memory; any other reads the store (another's: 404)
    fresh = service.accepted(caller, message_id) is not None and relays.get(message_id) is None
    record = None if fresh else await run_in_threadpool(service.answer, caller, message_id)
    try:
        after = position(message_id, last_event_id)
        relay = relays.get(message_id)
        if record is not None and relay is None and record.state in TERMINAL:
            body = _one(message_id, _replay(record))
        else:
            if relay is None:
                if record is not None and record.state != State.QUEUED:
                    raise ApiError(409, "conflict", f"answer {message_id} is {record.state} in another process: "
                                   f"read it with GET /v1/messages/{message_id} once it ends")
                relay = relays.start(message_id, service.stream(caller, message_id))
            relay.check(after)
            body = _frames(message_id, relay, after)
    except StaleEventId as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/messages/{message_id}/cancel", status_code=202)
async def cancel(message_id: str, caller: Caller, request: Request) -> dict:
    """Stop an answer: its model connection is closed and it is recorded as cancelled with its partial text."""
    return {"cancelled": await run_in_threadpool(request.app.state.chat.cancel, caller, message_id)}


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal[1, -1] = Field(..., description="+1 (helpful) or -1 (not: the answer goes to the review queue)")
    comment: str | None = Field(None, max_length=2000, description="what was wrong or right")


class Voted(BaseModel):
    review_item_id: int | None = Field(None, description="the review item a thumbs-down opened, if any")


@router.post("/messages/{message_id}/feedback", response_model=Voted)
async def feedback(message_id: str, body: Vote, caller: Caller, request: Request) -> Voted:
    """Rate one of your answers; a second vote replaces the first. A thumbs-down sends the answer to review."""
    item = await run_in_threadpool(request.app.state.chat.rate, caller, message_id, body.rating, body.comment)
    return Voted(review_item_id=item)


@router.get("/messages/{message_id}", response_model=Message)
async def message(message_id: str, caller: Caller, request: Request) -> Message:
    """One of your answers: state, text, citations, metrics."""
    return _message(await run_in_threadpool(request.app.state.chat.answer, caller, message_id))


@router.get("/conversations", response_model=list[Conversation])
async def conversations(caller: Caller, request: Request, limit: int = 50) -> list[Conversation]:
    """Your conversations, most recently active first."""
    records = await run_in_threadpool(request.app.state.chat.conversations, caller, max(1, min(limit, 200)))
    return [_conversation(c) for c in records]


@router.get("/conversations/{conversation_id}", response_model=list[Message])
async def conversation(conversation_id: str, caller: Caller, request: Request) -> list[Message]:
    """One of your conversations, question and answer messages in order."""
    return [_message(r) for r in await run_in_threadpool(request.app.state.chat.messages, caller, conversation_id)]
