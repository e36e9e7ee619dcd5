"""The review queue: answers waiting for a reviewer, claimed under a lease, approved (maybe edited) or rejected.

Every change is one conditional UPDATE, so when two reviewers act on the same item at once exactly one
wins: a claim only takes an item that is pending and unclaimed (or whose lease ran out), and a decision
only lands while its reviewer still holds an unexpired claim. Each change writes an audit action in the
same transaction, and each decision feeds the golden set (see :mod:`docent.review.golden`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.access import Action, Principal, require
from docent.review.golden import GoldenSets
from docent.store import models as m
from docent.store.db import engine_for, insert_for
from docent.store.records import as_utc, columns_of, utc_now

STATUSES = ("pending", "approved", "rejected")
REASONS = ("sample", "low_grounding", "low_retrieval", "topic", "always", "feedback", "evaluation")
FLAGGED = ("feedback", "evaluation")  # reasons a person gave, stronger than a random sample
REJECT_CATEGORIES = ("wrong", "unsupported", "incomplete", "harmful", "other")


class ClaimLost(RuntimeError):
    """A decision came from a reviewer who no longer holds the item (never claimed, expired, or decided)."""


@dataclass(frozen=True)
class ReviewItem:
    id: int
    message_id: str
    status: str
    reason: str
    held: bool
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
    final_answer: str | None
    reject_category: str | None
    reject_note: str | None


@dataclass(frozen=True)
class ReviewAction:
    id: int
    item_id: int
    actor: str
    action: str
    before: dict | None
    after: dict | None
    at: datetime



def _cited_chunk_ids(citations: list | None) -> list[str]:
    """The chunks the answer cited, in citation order, each once."""
    ids = [c.get("chunk_id") for c in citations or [] if isinstance(c, dict)]
    return list(dict.fromkeys(i for i in ids if i))


class ReviewQueue:
    def __init__(self, url: str, *, golden_set: str = "default", clock: Callable[[], datetime] = utc_now):
        self._engine = engine_for(url)
        self._golden = GoldenSets(url)
        self._golden_set = golden_set
        self._clock = clock  # injectable, so tests can let a lease run out without sleeping

    def _session(self) -> Session:
        return Session(self._engine)

    def enqueue(
        self,
        message_id: str,
        *,
        reason: str,
        held: bool,
        question: str,
        answer: str,
        model: str,
        index_version: str,
        grounding_score: float | None = None,
        retrieval_score: float | None = None,
        cache_hit: bool = False,
    ) -> int:
        """Queue an answer for review; once per message (a second call returns the same id).

        A second call that holds the answer makes a pending, unheld item held, with the new reason; a person's
        flag (``feedback``, ``evaluation``) replaces a pending item's random ``sample`` reason, so it is not lost.
        """
        if reason not in REASONS:
            raise ValueError(f"unknown review reason {reason!r}; choose one of {', '.join(REASONS)}")
        row = dict(message_id=message_id, status="pending", reason=reason, held=held, question=question, answer=answer,
                   model=model, index_version=index_version, grounding_score=grounding_score,
                   retrieval_score=retrieval_score, cache_hit=cache_hit, created_at=self._clock())
        with self._session() as s, s.begin():
            insert = insert_for(self._engine.dialect.name)
            s.execute(insert(m.ReviewItem).values(**row).on_conflict_do_nothing(index_elements=["message_id"]))
            if held:
                s.execute(sa.update(m.ReviewItem).values(held=True, reason=reason).where(
                    m.ReviewItem.message_id == message_id, m.ReviewItem.status == "pending", m.ReviewItem.held.is_(False)))
            elif reason in FLAGGED:
                s.execute(sa.update(m.ReviewItem).values(reason=reason).where(
                    m.ReviewItem.message_id == message_id, m.ReviewItem.status == "pending", m.ReviewItem.reason == "sample"))
            return s.scalar(sa.select(m.ReviewItem.id).where(m.ReviewItem.message_id == message_id))

    def list(
        self,
        *,
        status: str | None = None,
        reason: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        model: str | None = None,
        index_version: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[builtins.list[ReviewItem], int]:
        """One page of items, newest first, and how many match in all (``since`` inclusive, ``until`` not)."""
        t = m.ReviewItem
        where = [c == v for c, v in ((t.status, status), (t.reason, reason), (t.model, model),
                                     (t.index_version, index_version)) if v is not None]
        where += [t.created_at >= as_utc(since)] if since is not None else []
        where += [t.created_at < as_utc(until)] if until is not None else []
        page, per_page = max(page, 1), max(per_page, 1)
        stmt = sa.select(t).where(*where).order_by(t.created_at.desc(), t.id.desc())
        with self._session() as s:
            total = s.scalar(sa.select(sa.func.count()).select_from(t).where(*where)) or 0
            rows = s.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
            return [ReviewItem(**columns_of(r)) for r in rows], total

    def get(self, item_id: int) -> ReviewItem | None:
        with self._session() as s:
            row = s.get(m.ReviewItem, item_id)
            return ReviewItem(**columns_of(row)) if row else None

    def for_message(self, message_id: str) -> ReviewItem | None:
        with self._session() as s:
            row = s.scalar(sa.select(m.ReviewItem).where(m.ReviewItem.message_id == message_id))
            return ReviewItem(**columns_of(row)) if row else None

    def decided_for_message(self, message_id: str) -> ReviewItem | None:
        """The item once a reviewer decided it (what a waiting asker polls for); None while pending or absent."""
        item = self.for_message(message_id)
        return item if item is not None and item.status != "pending" else None

    def claim(self, item_id: int, reviewer: Principal, lease_s: float = 600) -> bool:
        """Take the item for ``lease_s`` seconds (or extend one's own claim); False when someone else holds it."""
        require(reviewer, Action.DECIDE_REVIEW)
        now, t = self._clock(), m.ReviewItem
        expires = now + timedelta(seconds=lease_s)
        free = sa.or_(t.claimed_by.is_(None), t.claim_expires_at < now, t.claimed_by == reviewer.username)
        stmt = sa.update(t).where(t.id == item_id, t.status == "pending", free).values(
            claimed_by=reviewer.username, claim_expires_at=expires)
        with self._session() as s, s.begin():
            if s.execute(stmt).rowcount == 0:
                return False
            self._log(s, item_id, reviewer, "claim", now, after={"claim_expires_at": expires.isoformat()})
            return True

    def release(self, item_id: int, reviewer: Principal) -> bool:
        """Give a claimed item back to the queue; False when the reviewer did not hold it."""
        require(reviewer, Action.DECIDE_REVIEW)
        t = m.ReviewItem
        stmt = sa.update(t).where(t.id == item_id, t.status == "pending", t.claimed_by == reviewer.username).values(
            claimed_by=None, claim_expires_at=None)
        with self._session() as s, s.begin():
            if s.execute(stmt).rowcount == 0:
                return False
            self._log(s, item_id, reviewer, "release", self._clock())
            return True

    def approve(self, item_id: int, reviewer: Principal, edited_text: str | None = None) -> ReviewItem:
        """Approve the answer as it is, or as edited; it becomes a positive golden item."""
        require(reviewer, Action.DECIDE_REVIEW)
        if edited_text is not None and not edited_text.strip():
            raise ValueError("an edited answer cannot be empty")
        now = self._clock()
        with self._session() as s, s.begin():
            item = self._decide(s, item_id, reviewer, now, status="approved", final_answer=sa.func.coalesce(
                edited_text, m.ReviewItem.answer))
            edited = edited_text is not None and edited_text != item.answer
            action = "edit" if edited else "approve"
            self._log(s, item_id, reviewer, action, now, before={"status": "pending", "answer": item.answer},
                      after={"status": "approved", "answer": item.final_answer})
            provenance = self._provenance(item, reviewer, now) | ({"original_answer": item.answer} if edited else {})
            self._golden.add(set_name=self._golden_set, kind="positive", question=item.question,
                             reference_answer=item.final_answer or "", reference_chunk_ids=self._cited(s, item),
                             provenance=provenance, session=s)
            return item

    def reject(self, item_id: int, reviewer: Principal, category: str, note: str = "") -> ReviewItem:
        """Reject the answer, saying why; it becomes a negative golden item (what not to answer)."""
        require(reviewer, Action.DECIDE_REVIEW)
        if category not in REJECT_CATEGORIES:
            raise ValueError(f"unknown reject category {category!r}; choose one of {', '.join(REJECT_CATEGORIES)}")
        now, note = self._clock(), note.strip()
        with self._session() as s, s.begin():
            item = self._decide(s, item_id, reviewer, now, status="rejected", reject_category=category,
                                reject_note=note or None)
            self._log(s, item_id, reviewer, "reject", now, before={"status": "pending", "answer": item.answer},
                      after={"status": "rejected", "category": category, "note": note})
            self._golden.add(set_name=self._golden_set, kind="negative", question=item.question,
                             reference_answer=item.answer, reference_chunk_ids=self._cited(s, item),
                             provenance=self._provenance(item, reviewer, now),
                             reason=f"{category}: {note}" if note else category, session=s)
            return item

    def audit(self, item_id: int) -> builtins.list[ReviewAction]:
        """The item's actions, oldest first."""
        stmt = sa.select(m.ReviewAction).where(m.ReviewAction.item_id == item_id).order_by(m.ReviewAction.id)
        with self._session() as s:
            return [ReviewAction(**columns_of(a)) for a in s.scalars(stmt)]

    def counts(self) -> dict[str, int]:
        """Items per status (every status present, 0 when none)."""
        stmt = sa.select(m.ReviewItem.status, sa.func.count()).group_by(m.ReviewItem.status)
        with self._session() as s:
            return {**dict.fromkeys(STATUSES, 0), **{status: n for status, n in s.execute(stmt)}}

    def why_not_held(self, item: ReviewItem, reviewer: Principal) -> str:
        """Why ``reviewer`` cannot act on ``item`` now (a claim or release refused): decided, claimed by someone
        else, their claim expired, or never claimed."""
        return self._why_lost(item, reviewer, self._clock())

    def _decide(self, s: Session, item_id: int, reviewer: Principal, now: datetime, **values: Any) -> ReviewItem:
        """Move a pending item the reviewer holds to its decision, or ClaimLost saying why it could not."""
        t = m.ReviewItem
        stmt = sa.update(t).where(
            t.id == item_id, t.status == "pending", t.claimed_by == reviewer.username, t.claim_expires_at >= now
        ).values(decided_by=reviewer.username, decided_at=now, claimed_by=None, claim_expires_at=None, **values)
        applied = s.execute(stmt.execution_options(synchronize_session=False)).rowcount > 0
        row = s.get(t, item_id, populate_existing=True)
        if row is None:
            raise KeyError(item_id)
        if not applied:
            raise ClaimLost(self._why_lost(ReviewItem(**columns_of(row)), reviewer, now))
        return ReviewItem(**columns_of(row))

    @staticmethod
    def _why_lost(item: ReviewItem, reviewer: Principal, now: datetime) -> str:
        if item.status != "pending":
            return f"review item {item.id} was already {item.status} by {item.decided_by}"
        if item.claimed_by and item.claimed_by != reviewer.username and item.claim_expires_at and item.claim_expires_at >= now:
            return f"review item {item.id} is claimed by {item.claimed_by}"
        if item.claimed_by == reviewer.username:
            return f"your claim on review item {item.id} expired: claim it again"
        return f"claim review item {item.id} first: you do not hold it"

    @staticmethod
    def _cited(s: Session, item: ReviewItem) -> builtins.list[str]:
        return _cited_chunk_ids(s.scalar(sa.select(m.Message.citations).where(m.Message.id == item.message_id)))

    @staticmethod
    def _provenance(item: ReviewItem, reviewer: Principal, now: datetime) -> dict[str, Any]:
        return {"review_item_id": item.id, "message_id": item.message_id, "reviewer": reviewer.username,
                "decided_at": now.isoformat(), "model": item.model, "index_version": item.index_version}

    @staticmethod
    def _log(s: Session, item_id: int, actor: Principal, action: str, at: datetime, *, before: dict | None = None,
             after: dict | None = None) -> None:
        s.add(m.ReviewAction(item_id=item_id, actor=actor.username, action=action, before=before, after=after, at=at))
