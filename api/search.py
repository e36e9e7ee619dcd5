"""``GET /v1/search``: the live index's best chunks for a query, for anyone who may ask (members and up)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.errors import ApiError
from docent.access import Action, require

router = APIRouter(prefix="/v1", tags=["search"])


class Hit(BaseModel):
    chunk_id: str
    doc_id: str
    source_uri: str
    page: int | None
    section: str
    text: str
    score: float
    dense_score: float | None
    bm25_score: float | None


@router.get("/search", response_model=list[Hit])
async def search(
    caller: Caller,
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="what to look for")],
    k: Annotated[int, Query(ge=1, le=100, description="how many chunks")] = 10,
    mode: Literal["hybrid", "dense", "bm25"] | None = None,
    doc_id: Annotated[str | None, Query(max_length=256, description="only this document's chunks")] = None,
) -> list[Hit]:
    """Hybrid (default), dense or BM25 search over the live index version."""
    require(caller, Action.ASK)
    try:
        hits = await run_in_threadpool(partial(request.app.state.retriever.search, q, k=k, mode=mode,
                                               filters={"doc_id": doc_id} if doc_id else None))
    except ValueError as exc:  # an empty query once trimmed
        raise ApiError(400, "bad_request", str(exc)) from None
    return [Hit(chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, source_uri=h.chunk.source_uri, page=h.chunk.page,
                section=h.chunk.section, text=h.chunk.text, score=h.score, dense_score=h.dense_score,
                bm25_score=h.bm25_score) for h in hits]
