"""The review queue on SQLite and Postgres: idempotent enqueue, filtered pages, claims that cannot race, decisions."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from docent.access import PermissionDenied, Principal, Role
from docent.review.golden import GoldenSets
from docent.review.queue import ClaimLost, ReviewQueue
from docent.store import models as m
from docent.store.db import engine_for
from tests.concurrency import all_at_once
from tests.docent.review.support import ALICE, BOB, T0, answered, enqueue


def test_enqueue_is_idempotent_per_message_and_can_only_upgrade(url, queue):
    mid = answered(url)
    first = enqueue(queue, mid)
    assert enqueue(queue, mid, reason="topic") == first
    item = queue.get(first)
    assert (item.status, item.reason, item.held, item.message_id) == ("pending", "sample", False, mid)
    assert enqueue(queue, mid, reason="feedback") == first  # a person's thumbs-down outranks a random sample
    assert queue.get(first).reason == "feedback"
    assert enqueue(queue, mid, reason="evaluation") == first and queue.get(first).reason == "feedback"
    assert (item.grounding_score, item.retrieval_score, item.cache_hit, item.created_at) == (0.9, 1.5, False, T0)
    assert enqueue(queue, mid, reason="low_grounding", held=True) == first
    assert (queue.get(first).reason, queue.get(first).held) == ("low_grounding", True)
    assert queue.for_message(mid) == queue.get(first) and queue.for_message("nope") is None and queue.get(999) is None
    with pytest.raises(ValueError, match="unknown review reason"):
        enqueue(queue, answered(url), reason="whim")
    assert queue.counts() == {"pending": 1, "approved": 0, "rejected": 0}


def test_list_filters_pages_and_counts(url, queue, clock):
    ids = []
    for i in range(7):
        clock.now = T0 + timedelta(hours=i)
        ids.append(enqueue(queue, answered(url), reason="topic" if i % 2 else "sample", model=f"m{i % 3}",
                           index_version="v2" if i >= 5 else "v1"))
    items, total = queue.list(per_page=3)
    assert total == 7 and [i.id for i in items] == ids[::-1][:3]  # newest first
    items, total = queue.list(per_page=3, page=3)
    assert total == 7 and [i.id for i in items] == [ids[0]]
    assert queue.list(page=9, per_page=3) == ([], 7)
    assert [i.id for i in queue.list(reason="topic")[0]] == [ids[5], ids[3], ids[1]]
    assert [i.id for i in queue.list(model="m0")[0]] == [ids[6], ids[3], ids[0]]
    assert queue.list(index_version="v2")[1] == 2
    since, until = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    assert [i.id for i in queue.list(since=since, until=until)[0]] == [ids[3], ids[2]]
    assert queue.list(status="approved") == ([], 0)
    assert queue.list(status="pending", reason="sample", model="m2", index_version="v1")[0][0].id == ids[2]


def test_two_reviewers_claiming_at_once_exactly_one_wins(url, queue):
    """Each claim runs on its own thread and database connection; repeated to give the race many chances."""
    for _ in range(5):
        item = enqueue(queue, answered(url))
        reviewers = (ALICE, BOB)
        won = all_at_once(lambda reviewer: queue.claim(item, reviewer), reviewers)
        results = {r.username: w for r, w in zip(reviewers, won)}
        assert sorted(results.values()) == [False, True]
        winner = next(name for name, won in results.items() if won)
        assert queue.get(item).claimed_by == winner
        assert [(a.action, a.actor) for a in queue.audit(item)] == [("claim", winner)]


def test_a_lapsed_lease_lets_another_reviewer_claim_and_the_first_loses_the_item(url, queue, clock):
    item = enqueue(queue, answered(url))
    assert queue.claim(item, ALICE, lease_s=60)
    assert not queue.claim(item, BOB)
    assert queue.claim(item, ALICE, lease_s=60)  # extending one's own claim
    clock.now = T0 + timedelta(seconds=61)
    assert queue.claim(item, BOB, lease_s=60)
    with pytest.raises(ClaimLost, match="claimed by bob"):
        queue.approve(item, ALICE)
    clock.now = T0 + timedelta(seconds=200)
    with pytest.raises(ClaimLost, match="expired"):
        queue.approve(item, BOB)
    assert queue.get(item).status == "pending"


def test_release_frees_the_item(url, queue):
    item = enqueue(queue, answered(url))
    assert queue.claim(item, ALICE)
    assert not queue.release(item, BOB)
    assert queue.release(item, ALICE)
    assert queue.get(item).claimed_by is None and queue.claim(item, BOB)
    assert [(a.action, a.actor) for a in queue.audit(item)] == [("claim", "alice"), ("release", "alice"), ("claim", "bob")]


def test_approving_needs_a_claim_and_writes_the_golden_item(url, queue):
    mid = answered(url)
    item = enqueue(queue, mid, held=True, reason="always")
    with pytest.raises(ClaimLost, match="claim review item"):
        queue.approve(item, ALICE)
    assert queue.decided_for_message(mid) is None
    queue.claim(item, ALICE)
    done = queue.approve(item, ALICE)
    assert (done.status, done.final_answer, done.decided_by, done.decided_at, done.claimed_by) == (
        "approved", "180 euros a night [1][2].", "alice", T0, None)
    assert queue.decided_for_message(mid) == done == queue.get(item)
    action = queue.audit(item)[-1]
    assert (action.action, action.before, action.after) == (
        "approve", {"status": "pending", "answer": done.answer}, {"status": "approved", "answer": done.answer})
    with pytest.raises(ClaimLost, match="already approved by alice"):
        queue.approve(item, ALICE)
    (golden,) = GoldenSets(url).items()
    assert (golden.kind, golden.question, golden.reference_answer) == ("positive", done.question, done.answer)
    assert golden.reference_chunk_ids == ["c1", "c2"]  # cited, in order, once each
    assert golden.provenance == {"review_item_id": item, "message_id": mid, "reviewer": "alice",
                                 "decided_at": T0.isoformat(), "model": "m", "index_version": "v1"}
    assert queue.counts() == {"pending": 0, "approved": 1, "rejected": 0}


def test_edit_and_approve_records_before_and_after(url, queue):
    item = enqueue(queue, answered(url))
    queue.claim(item, BOB)
    with pytest.raises(ValueError, match="empty"):
        queue.approve(item, BOB, edited_text="  ")
    done = queue.approve(item, BOB, edited_text="180 euros per night, breakfast included [1].")
    assert (done.final_answer, done.answer) == ("180 euros per night, breakfast included [1].", "180 euros a night [1][2].")
    action = queue.audit(item)[-1]
    assert (action.action, action.actor, action.at) == ("edit", "bob", T0)
    assert action.before == {"status": "pending", "answer": done.answer}
    assert action.after == {"status": "approved", "answer": done.final_answer}
    (golden,) = GoldenSets(url).items()
    assert golden.reference_answer == done.final_answer and golden.provenance["original_answer"] == done.answer


def test_reject_with_a_category_becomes_a_negative_golden_item(url, queue):
    item = enqueue(queue, answered(url))
    queue.claim(item, ALICE)
    with pytest.raises(ValueError, match="unknown reject category"):
        queue.reject(item, ALICE, "meh")
    done = queue.reject(item, ALICE, "unsupported", " the sources say 150 ")
    assert (done.status, done.reject_category, done.reject_note, done.final_answer) == (
        "rejected", "unsupported", "the sources say 150", None)
    assert queue.audit(item)[-1].after == {"status": "rejected", "category": "unsupported", "note": "the sources say 150"}
    (golden,) = GoldenSets(url).items(kind="negative")
    assert (golden.reason, golden.reference_answer, golden.reference_chunk_ids) == (
        "unsupported: the sources say 150", done.answer, ["c1", "c2"])
    assert GoldenSets(url).items(kind="positive") == []


@pytest.mark.parametrize("role", [Role.MEMBER, Role.ANALYST, Role.ADMIN])
def test_only_reviewers_claim_and_decide(url, queue, role):
    item = enqueue(queue, answered(url))
    other = Principal(id="3", username="carol", role=role, disabled=False)
    for act in (lambda: queue.claim(item, other), lambda: queue.approve(item, other),
                lambda: queue.reject(item, other, "wrong"), lambda: queue.release(item, other)):
        with pytest.raises(PermissionDenied, match="needs the reviewer role"):
            act()
    with pytest.raises(PermissionDenied, match="disabled"):
        queue.claim(item, Principal(id="4", username="dan", role=Role.REVIEWER, disabled=True))
    assert queue.audit(item) == []


def test_a_page_of_ten_thousand_items_is_fast(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine, n = engine_for(url), 10_000
    with engine.begin() as conn:
        conn.execute(sa.insert(m.Conversation).values(id="c", title="t", created_at=T0, updated_at=T0))
        conn.execute(sa.insert(m.Message), [dict(id=f"m{i}", conversation_id="c", seq=i, role="assistant", content="a",
                                                 cache_hit=False, created_at=T0) for i in range(n)])
        conn.execute(sa.insert(m.ReviewItem), [
            dict(message_id=f"m{i}", status=("pending", "approved", "rejected")[i % 3], reason=("sample", "topic")[i % 2],
                 held=False, question=f"q{i}", answer="a", model=f"model{i % 4}", index_version="v1", cache_hit=False,
                 created_at=T0 + timedelta(seconds=i)) for i in range(n)])
    queue = ReviewQueue(url)
    started = time.perf_counter()
    items, total = queue.list(status="pending", page=20, per_page=50)
    reasons, by_reason = queue.list(reason="topic", model="model1", page=5)
    elapsed = time.perf_counter() - started
    print(f"two list() pages over {n} items: {elapsed * 1000:.1f} ms")
    assert total == 3334 and len(items) == 50 and items[0].created_at == T0 + timedelta(seconds=3 * (3333 - 19 * 50))
    assert by_reason == 2500 and len(reasons) == 50
    assert elapsed < 1.0
