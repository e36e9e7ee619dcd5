"""What a reviewer reads: the audit trail in words, a correction as a word diff, a retrieval score on 0–1,
and askers' comments fetched for a whole page of the queue at once (SQLite and Postgres)."""

from __future__ import annotations

import sqlalchemy as sa

from docent.review.feedback import FeedbackStore
from docent.review.history import Change, answer_change, what, word_diff
from docent.review.signals import readable, relevance
from docent.store.db import engine_for
from tests.docent.review.support import ALICE, answered, enqueue


def test_each_audit_action_reads_as_a_sentence_and_a_correction_as_its_changed_words(queue, url, clock):
    first, second = enqueue(queue, answered(url)), enqueue(queue, answered(url))
    queue.claim(first, ALICE)
    queue.release(first, ALICE)
    queue.claim(first, ALICE)
    queue.approve(first, ALICE, "180 euros a night in Lisbon [1][2].")
    queue.claim(second, ALICE)
    queue.reject(second, ALICE, "unsupported", "cites the wrong policy")
    trail = queue.audit(first)
    assert [what(a) for a in trail] == ["claimed it (until 09:10 UTC)", "released it back to the queue",
                                        "claimed it (until 09:10 UTC)", "corrected the answer and approved it"]
    assert [answer_change(a) for a in trail[:3]] == [None, None, None]
    assert answer_change(trail[3]) == [Change("same", "180 euros a night "), Change("added", "in Lisbon "),
                                       Change("same", "[1][2].")]
    assert what(queue.audit(second)[-1]) == "rejected it (unsupported): cites the wrong policy"
    assert answer_change(queue.audit(second)[-1]) is None  # a rejection leaves the text as it was


def test_a_word_diff_joins_back_into_both_texts():
    changes = word_diff("Acme offers 8 weeks.", "Acme gives 8 paid weeks.")
    assert "".join(c.text for c in changes if c.op != "added") == "Acme offers 8 weeks."
    assert "".join(c.text for c in changes if c.op != "removed") == "Acme gives 8 paid weeks."
    assert [c.op for c in changes] == ["same", "removed", "added", "same", "added", "same"]


def test_a_retrieval_score_reads_on_a_0_to_1_scale_where_its_mode_has_one():
    assert relevance(0.0, "hybrid") == 0.5 and relevance(3.98, "hybrid") > 0.999 and relevance(-2, "hybrid") < 0.05
    assert relevance(0.71, "dense") == 0.71 and relevance(-0.1, "dense") == 0.0
    assert relevance(12.3, "bm25") is None and relevance(None, "hybrid") is None
    assert [readable(s, m) for s, m in ((1.0, "hybrid"), (12.3, "bm25"), (None, "dense"))] == ["0.84", "12.30", "—"]


def test_comments_for_a_page_of_answers_come_in_one_query(url):
    store = FeedbackStore(url)
    one, two, three = answered(url), answered(url), answered(url)
    store.record(one, "alice", -1, "wrong year")
    store.record(one, "bob", -1, "no source")
    store.record(one, "carol", -1)  # no comment: not listed
    store.record(two, "alice", 1)
    store.record(three, None, -1, "vague")
    queries: list[str] = []
    count = lambda *args: queries.append(args[2])  # noqa: E731 (the statement of each execution)
    sa.event.listen(engine_for(url), "before_cursor_execute", count)  # the engine every store of ``url`` shares
    try:
        got = store.comments_for([one, two, three, "no-such-answer"])
    finally:
        sa.event.remove(engine_for(url), "before_cursor_execute", count)
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1
    assert {mid: [(f.username, f.comment) for f in fs] for mid, fs in got.items()} == {
        one: [("alice", "wrong year"), ("bob", "no source")], three: [(None, "vague")]}
    assert store.comments_for([]) == {}
