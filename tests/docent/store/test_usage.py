"""Usage per user per UTC day from the traces, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy.orm import Session

from docent.store import models as m
from docent.store.db import engine_for
from docent.store.usage import EVALUATION, DailyUsage, daily_usage

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 30, tzinfo=timezone.utc)


def trace(message_id: str | None, when: datetime, prompt: int | None, completion: int | None, cost: float | None,
          **extra) -> m.Trace:
    return m.Trace(message_id=message_id, kind=extra.pop("kind", "generate"), model="local/extractive", parameters={},
                   prompt_hash="h", prompt_version="1", prompt_tokens=prompt, completion_tokens=completion, cost=cost,
                   created_at=when, **extra)


@pytest.fixture
def url(state_url: str) -> str:
    """Ann (a user) asked twice on the 9th and once on the 10th, a service account once; a judge call has no message."""
    with Session(engine_for(state_url)) as s, s.begin():
        s.add(m.User(id="ann-id", username="ann", password_hash="x", role="member", created_at=NOW))
        for owner in ("ann-id", "service:bench"):
            s.add(m.Conversation(id=f"c-{owner}", user_id=owner, created_at=NOW, updated_at=NOW))
        for n, (owner, when) in enumerate((("ann-id", at(9, 1)), ("ann-id", at(9, 23)), ("ann-id", at(10, 0)),
                                           ("service:bench", at(10, 5)), ("ann-id", at(1, 0)))):
            s.add(m.Message(id=f"m{n}", conversation_id=f"c-{owner}", seq=n, role="assistant", user_id=owner, content="",
                            created_at=when))
        s.flush()
        s.add_all([
            trace("m0", at(9, 1), 100, 10, 0.5), trace("m1", at(9, 23), 200, 20, None),  # an unpriced model
            trace("m1", at(9, 23), 50, 5, 0.25, kind="rewrite"), trace("m2", at(10, 0), 300, 30, 1.0),
            trace("m2", at(10, 0), None, None, None, cache_hit=True),  # served from the cache: no call
            trace("m3", at(10, 5), 7, 3, 0.0), trace(None, at(10, 6), 40, 4, 0.1, kind="judge"),
            trace("m4", at(1, 0), 999, 99, 9.0),  # before the window
        ])
    return state_url


def test_own_usage_per_utc_day_newest_first(url):
    assert daily_usage(url, 7, "ann-id", now=NOW) == [
        DailyUsage(date(2026, 3, 10), "ann", 1, 300, 30, 1.0, 0),
        DailyUsage(date(2026, 3, 9), "ann", 3, 350, 35, 0.75, 1),
    ]
    assert daily_usage(url, 1, "ann-id", now=NOW) == [DailyUsage(date(2026, 3, 10), "ann", 1, 300, 30, 1.0, 0)]
    assert daily_usage(url, 7, "nobody", now=NOW) == []


def test_everyone_per_user_with_unowned_calls_under_evaluation(url):
    rows = daily_usage(url, 7, now=NOW)
    assert [(r.day.day, r.user, r.calls, r.prompt_tokens) for r in rows] == [
        (10, "ann", 1, 300), (10, EVALUATION, 1, 40), (10, "service:bench", 1, 7), (9, "ann", 3, 350)]
    assert sum(r.cost for r in daily_usage(url, 30, now=NOW)) == pytest.approx(1.85 + 9.0)
    with pytest.raises(ValueError):
        daily_usage(url, 0)
