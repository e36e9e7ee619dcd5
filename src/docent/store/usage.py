"""What the model calls cost, per user per day, from the ``traces`` table (one row per LLM call).

A call belongs to whoever asked the question its trace hangs on (the message's ``user_id``); its
user is shown by username where a ``users`` row has that id, and by the id itself otherwise (service
accounts, ``legacy``). A trace with no owning message (none today: evaluation judges are not traced per
call, their totals are on each evaluation run) counts under :data:`EVALUATION`. Answers served from the
answer cache made no call and are not counted. Days are UTC calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.store import models as m
from docent.store.db import engine_for
from docent.store.records import utc_now

EVALUATION = "evaluation"  # the pseudo-user of calls nobody asked (no owning message)


@dataclass(frozen=True)
class DailyUsage:
    day: date
    user: str  # a username, a principal id without a users row, or EVALUATION
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float  # of the priced calls
    unpriced_calls: int  # calls that used tokens of a model litellm has no price for: not in ``cost``


def _utc_day(dialect: str, column: Any) -> Any:
    """The UTC calendar day of a timestamp, in SQL (SQLite stores UTC text; Postgres a timestamptz)."""
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", column))
    return sa.func.date(column)


def daily_usage(url: str, days: int, owner: str | None = None, now: datetime | None = None) -> list[DailyUsage]:
    """Usage over the last ``days`` UTC days (today included), newest day first, one row per user and day.

    ``owner`` (a principal id) keeps that principal's calls only; None keeps everyone's, :data:`EVALUATION`'s
    included. Who may ask for whose usage is the caller's check (see docent.access).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    engine = engine_for(url)
    t, msg, user = m.Trace, m.Message, m.User
    since = datetime.combine((now or utc_now()).date() - timedelta(days=days - 1), time.min, timezone.utc)
    day = _utc_day(engine.dialect.name, t.created_at).label("day")
    who = sa.func.coalesce(user.username, msg.user_id, EVALUATION).label("who")
    unpriced = sa.func.sum(sa.case((sa.and_(t.cost.is_(None), t.prompt_tokens.is_not(None)), 1), else_=0))
    stmt = (
        sa.select(day, who, sa.func.count(), sa.func.sum(sa.func.coalesce(t.prompt_tokens, 0)),
                  sa.func.sum(sa.func.coalesce(t.completion_tokens, 0)), sa.func.sum(sa.func.coalesce(t.cost, 0.0)),
                  unpriced)
        .select_from(t)
        .outerjoin(msg, msg.id == t.message_id)
        .outerjoin(user, user.id == msg.user_id)
        .where(t.created_at >= since, t.cache_hit.is_(False))
        .group_by(day, who)
        .order_by(day.desc(), who)
    )
    if owner is not None:
        stmt = stmt.where(msg.user_id == owner)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return [DailyUsage(day=date.fromisoformat(str(d)), user=u, calls=n, prompt_tokens=int(p), completion_tokens=int(c),
                       cost=float(cost), unpriced_calls=int(unp)) for d, u, n, p, c, cost, unp in rows]
