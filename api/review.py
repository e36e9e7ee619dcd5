"""The review queue over HTTP: reviewers, analysts and admins read it; reviewers claim, release and decide.

Every route calls the core the Review page calls (:class:`~docent.review.queue.ReviewQueue`, and
:func:`docent.review.actions.approve`, so an approved answer becomes a curated answer and a golden item
exactly as in the app). The queue's conditional updates decide races: a claim another reviewer holds,
or a decision whose claim was lost, is 409 saying who holds the item or why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.errors import ApiError
from docent.access import Action, Principal, require
from docent.review import actions
from docent.review.queue import REASONS, REJECT_CATEGORIES, STATUSES, ClaimLost, ReviewItem, ReviewQueue

router = APIRouter(prefix="/v1", tags=["review"])
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the review item's id")]
NO_NUL = r"^[^\x00]*$"  # databases refuse NUL in text


class Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str
    status: Literal[STATUSES]  # type: ignore[valid-type]
    reason: str = Field(description="why it was queued: " + ", ".join(REASONS))
    held: bool = Field(description="the asker waits for the decision and has not seen the answer")
    question: str
    answer: str
    model: str
    index_version: str
    grounding_score: float | None
    retrieval_score: float | None
    cache_hit: bool
    created_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    final_answer: str | None = Field(description="the approved text, edited or not")
    reject_category: str | None
    reject_note: str | None


class ItemPage(BaseModel):
    items: list[Item]
    total: int = Field(description="how many items match the filters in all")


class Source(BaseModel):
    """A retrieved chunk as the model saw it, numbered as the answer's ``[n]`` markers."""

    n: int
    chunk_id: str
    doc_id: str
    source_uri: str
    page: int | None = None
    section: str = ""
    text: str
    score: float
    cited: bool


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    actor: str
    action: str = Field(description="claim, release, approve, edit or reject")
    before: dict | None
    after: dict | None
    at: datetime


class ItemDetail(Item):
    citations: list[dict] = Field(description="the answer's citations: marker, chunk, document, cited span")
    grounding: list[dict] | None = Field(description="per answer sentence: whether a source supports it")
    sources: list[Source]
    audit: list[AuditEntry] = Field(description="who did what to the item, oldest first")


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edited_answer: str | None = Field(None, min_length=1, max_length=20_000, pattern=NO_NUL,
                                      description="the corrected answer to approve instead of the original")


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal[REJECT_CATEGORIES]  # type: ignore[valid-type]
    note: str = Field("", max_length=4_000, pattern=NO_NUL, description="what is wrong, for the golden set")


def _queue(request: Request) -> ReviewQueue:
    return request.app.state.chat.review_queue


async def _existing(queue: ReviewQueue, item_id: int) -> ReviewItem:
    item = await run_in_threadpool(queue.get, item_id)
    if item is None:
        raise ApiError(404, "not_found", f"no review item {item_id}")
    return item


def _detail(request: Request, item: ReviewItem) -> ItemDetail:
    """The item as the Review page shows it: the answer's citations and grounding, its sources, its audit trail."""
    store = request.app.state.chat.store
    message = store.get_message(item.message_id)
    retrieval = store.retrieval_for(item.message_id) or {}
    citations = (message.citations if message else None) or []
    cited = {c.get("n") for c in citations}
    return ItemDetail(**Item.model_validate(item).model_dump(), citations=citations,
                      grounding=message.grounding if message else None,
                      sources=[Source(**s, cited=s["n"] in cited) for s in retrieval.get("sources") or []],
                      audit=[AuditEntry.model_validate(a) for a in _queue(request).audit(item.id)])


@router.get("/review/items", response_model=ItemPage)
async def items(
    caller: Caller,
    request: Request,
    status: Literal[STATUSES] | None = None,  # type: ignore[valid-type]
    reason: Literal[REASONS] | None = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=200, description="items per page")] = 50,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> ItemPage:
    """The review queue, newest first, optionally only one status (e.g. ``pending``) or reason."""
    require(caller, Action.READ_REVIEW)
    found, total = await run_in_threadpool(partial(_queue(request).list, status=status, reason=reason, page=page,
                                                   per_page=limit))
    return ItemPage(items=[Item.model_validate(i) for i in found], total=total)


@router.get("/review/items/{item_id}", response_model=ItemDetail)
async def item(item_id: ItemId, caller: Caller, request: Request) -> ItemDetail:
    """One item: question, answer, citations, the retrieved sources (cited ones marked) and its audit trail."""
    require(caller, Action.READ_REVIEW)
    return await run_in_threadpool(_detail, request, await _existing(_queue(request), item_id))


async def _held(queue: ReviewQueue, item_id: int, reviewer: Principal, change: Callable[[], bool]) -> Item:
    """Run a claim or release; 409 saying who holds the item, or why, when the queue refuses it."""
    if not await run_in_threadpool(change):
        raise ApiError(409, "conflict", queue.why_not_held(await _existing(queue, item_id), reviewer))
    return Item.model_validate(await _existing(queue, item_id))


@router.post("/review/items/{item_id}/claim", response_model=Item)
async def claim(item_id: ItemId, caller: Caller, request: Request) -> Item:
    """Take the item for ``review.lease_s`` seconds (or extend your claim) so you may decide it."""
    require(caller, Action.DECIDE_REVIEW)
    queue = _queue(request)
    await _existing(queue, item_id)
    lease_s = request.app.state.chat.settings.review.lease_s
    return await _held(queue, item_id, caller, partial(queue.claim, item_id, caller, lease_s=lease_s))


@router.post("/review/items/{item_id}/release", response_model=Item)
async def release(item_id: ItemId, caller: Caller, request: Request) -> Item:
    """Give your claimed item back to the queue, undecided."""
    require(caller, Action.DECIDE_REVIEW)
    queue = _queue(request)
    await _existing(queue, item_id)
    return await _held(queue, item_id, caller, partial(queue.release, item_id, caller))


async def _decide(queue: ReviewQueue, item_id: int, decision: Callable[[], ReviewItem]) -> Item:
    """Run a decision on an item you hold: 409 when the claim was lost, 400 for a blank edited answer."""
    await _existing(queue, item_id)
    try:
        return Item.model_validate(await run_in_threadpool(decision))
    except ClaimLost as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


@router.post("/review/items/{item_id}/approve", response_model=Item)
async def approve(item_id: ItemId, caller: Caller, request: Request, body: Approval | None = None) -> Item:
    """Approve the answer (or ``edited_answer`` instead): it serves as the curated answer to its question and
    joins the golden set as a positive item. You must hold the item's claim."""
    require(caller, Action.DECIDE_REVIEW)
    queue, edited = _queue(request), body.edited_answer if body else None
    return await _decide(queue, item_id, partial(actions.approve, request.app.state.chat.deps, queue, item_id, caller,
                                                 edited))


@router.post("/review/items/{item_id}/reject", response_model=Item)
async def reject(item_id: ItemId, body: Rejection, caller: Caller, request: Request) -> Item:
    """Reject the answer with a category and a note: it joins the golden set as a negative item (what not to
    answer). You must hold the item's claim."""
    require(caller, Action.DECIDE_REVIEW)
    queue = _queue(request)
    return await _decide(queue, item_id, partial(queue.reject, item_id, caller, body.category, body.note))
