"""``GET /v1/usage``: tokens and cost of the model calls per day (:func:`docent.store.usage.daily_usage`).

Everyone sees their own; admins (``Action.READ_ALL_USAGE``) may name a user, or ask for all users,
per user per day, where calls nobody asked for count under ``evaluation``.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.errors import ApiError
from docent.access import Action, require
from docent.review.users import UserStore
from docent.store.usage import EVALUATION, daily_usage

router = APIRouter(prefix="/v1", tags=["usage"])


class DayUsage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date = Field(description="a UTC calendar day")
    user: str = Field(description=f"a username (a principal id where no user has it), or {EVALUATION!r}")
    calls: int = Field(description="model calls made (answers served from the cache made none)")
    prompt_tokens: int
    completion_tokens: int
    cost: float = Field(description="in USD, from litellm's price table")
    unpriced_calls: int = Field(description="calls to a model litellm has no price for: not in cost")


@router.get("/usage", response_model=list[DayUsage])
async def usage(
    caller: Caller,
    request: Request,
    days: Annotated[int, Query(ge=1, le=366, description="the last N UTC days, today included")] = 30,
    user: Annotated[str | None, Query(min_length=1, max_length=64, description="this user's (admins)")] = None,
    all_users: Annotated[bool, Query(alias="all", description="every user's, per user (admins)")] = False,
) -> list[DayUsage]:
    """Your tokens and cost per day, newest first; admins may pass ``user`` or ``all=true``."""
    require(caller, Action.ASK)
    if user is not None and all_users:
        raise ApiError(400, "bad_request", "pass either user or all, not both")
    url = request.app.state.settings.state_url
    owner: str | None = caller.id
    if all_users or (user is not None and user != caller.username):
        require(caller, Action.READ_ALL_USAGE)
        if user is not None:
            who = await run_in_threadpool(UserStore(url).get, user)
            if who is None:
                raise ApiError(404, "not_found", f"no user {user!r}")
            owner = who.id
        else:
            owner = None
    rows = await run_in_threadpool(partial(daily_usage, url, days, owner))
    return [DayUsage.model_validate(r) for r in rows]
