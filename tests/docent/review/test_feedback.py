"""Thumbs up and down on SQLite and Postgres: one vote per user and answer, the latest one counts."""

from __future__ import annotations

import pytest

from docent.review.feedback import FeedbackStore
from tests.docent.review.support import answered


def test_a_second_vote_replaces_the_first(url):
    store, mid = FeedbackStore(url), answered(url)
    first = store.record(mid, "alice", 1, "helpful")
    second = store.record(mid, "alice", -1, " actually wrong ")
    (only,) = store.for_message(mid)
    assert only == second and second.id == first.id
    assert (only.rating, only.comment, only.username) == (-1, "actually wrong", "alice")
    assert store.record(mid, "alice", -1, "  ").comment is None


def test_anonymous_votes_each_count_and_summary_adds_up(url):
    store, one, two = FeedbackStore(url), answered(url), answered(url)
    store.record(one, "alice", 1)
    store.record(one, "bob", -1, "missing the source")
    store.record(one, None, 1)
    store.record(one, None, 1)
    store.record(two, "alice", -1)
    assert [(f.username, f.rating) for f in store.for_message(one)] == [("alice", 1), ("bob", -1), (None, 1), (None, 1)]
    summary = store.summary()
    assert (summary.up, summary.down, summary.commented, summary.answers, summary.total) == (3, 2, 1, 2, 5)
    assert store.for_message("nope") == []


def test_bad_votes_are_refused(url):
    store, mid = FeedbackStore(url), answered(url)
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        store.record(mid, "alice", 5)
    with pytest.raises(KeyError):
        store.record("no-such-answer", "alice", 1)
    assert store.summary().total == 0
