"""Askers' thumbs up and down on answers: a signal for what to review and how the product is doing.

One vote per signed-in user and answer, and a new vote replaces the old (people change their minds);
anonymous votes cannot be told apart, so each one counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.store import models as m
from docent.store.db import engine_for, insert_for
from docent.store.records import columns_of, utc_now


@dataclass(frozen=True)
class Feedback:
    id: int
    message_id: str
    username: str | None
    rating: int
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class FeedbackSummary:
    up: int
    down: int
    commented: int
    answers: int  # distinct answers voted on

    @property
    def total(self) -> int:
        return self.up + self.down


class FeedbackStore:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def record(self, message_id: str, username: str | None, rating: int, comment: str | None = None) -> Feedback:
        """Save a vote (+1 or -1), replacing the user's earlier one on the same answer; KeyError for an unknown answer."""
        if rating not in (1, -1):
            raise ValueError(f"a rating is +1 or -1, not {rating!r}")
        comment = (comment or "").strip() or None
        values = dict(rating=rating, comment=comment, created_at=utc_now())
        with Session(self._engine) as s, s.begin():
            if s.scalar(sa.select(m.Message.id).where(m.Message.id == message_id)) is None:
                raise KeyError(message_id)
            insert = insert_for(self._engine.dialect.name)
            stmt = insert(m.Feedback).values(message_id=message_id, username=username, **values)
            if username is not None:
                stmt = stmt.on_conflict_do_update(index_elements=["message_id", "username"], set_=values)
            feedback_id = s.scalar(stmt.returning(m.Feedback.id))
            return Feedback(**columns_of(s.get(m.Feedback, feedback_id, populate_existing=True)))

    def for_message(self, message_id: str) -> list[Feedback]:
        stmt = sa.select(m.Feedback).where(m.Feedback.message_id == message_id).order_by(m.Feedback.id)
        with Session(self._engine) as s:
            return [Feedback(**columns_of(f)) for f in s.scalars(stmt)]

    def comments_for(self, message_ids: Iterable[str]) -> dict[str, list[Feedback]]:
        """The votes that came with a comment, per answer, oldest first: one query for a whole page of the
        review queue (a query per row would slow the page over a large queue)."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return {}
        f = m.Feedback
        stmt = sa.select(f).where(f.message_id.in_(ids), f.comment.is_not(None)).order_by(f.id)
        out: dict[str, list[Feedback]] = {}
        with Session(self._engine) as s:
            for row in s.scalars(stmt):
                out.setdefault(row.message_id, []).append(Feedback(**columns_of(row)))
        return out

    def summary(self) -> FeedbackSummary:
        """Votes up and down, how many came with a comment, and over how many answers."""
        f = m.Feedback
        stmt = sa.select(
            sa.func.count().filter(f.rating > 0), sa.func.count().filter(f.rating < 0),
            sa.func.count(f.comment), sa.func.count(sa.distinct(f.message_id)),
        )
        with Session(self._engine) as s:
            up, down, commented, answers = s.execute(stmt).one()
        return FeedbackSummary(up=up, down=down, commented=commented, answers=answers)
