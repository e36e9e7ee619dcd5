"""Golden sets on SQLite and Postgres: decisions land as items, a repeat question replaces, versions count changes."""

from __future__ import annotations

import json

import pytest

from docent.review.golden import GoldenSets
from docent.review.queue import ReviewQueue
from tests.docent.review.support import ALICE, T0, Clock, answered, enqueue


def decide(url: str, queue: ReviewQueue, question: str, text: str, chunk_ids=("c1",), edit: str | None = None,
           reject: str | None = None):
    mid = answered(url, question=question, text=text, chunk_ids=chunk_ids)
    item = enqueue(queue, mid, question=question, answer=text)
    queue.claim(item, ALICE)
    return queue.reject(item, ALICE, reject) if reject else queue.approve(item, ALICE, edit)


def test_approving_a_question_again_replaces_its_reference_and_bumps_the_version(url):
    queue, sets = ReviewQueue(url, golden_set="hr", clock=Clock(T0)), GoldenSets(url)
    assert sets.version("hr") == 0 and sets.items("hr") == []
    first = decide(url, queue, "How long is parental leave?", "Sixteen weeks [1].", ("c7",))
    decide(url, queue, "What is the hotel cap?", "180 euros [1].", ("c1", "c2"))
    assert sets.version("hr") == 2 and sets.items() == []  # the default set is untouched
    again = decide(url, queue, "How long is parental leave?", "Sixteen weeks, paid [1].", ("c8",), edit="16 weeks, paid [1].")
    items = sets.items("hr")
    assert sets.version("hr") == 3 and len(items) == 2
    leave = next(i for i in items if i.question == "How long is parental leave?")
    assert (leave.reference_answer, leave.reference_chunk_ids, leave.added_in_version) == ("16 weeks, paid [1].", ["c8"], 3)
    assert leave.provenance["review_item_id"] == again.id != first.id
    assert leave.provenance["original_answer"] == "Sixteen weeks, paid [1]."
    decide(url, queue, "How long is parental leave?", "Two weeks [1].", reject="wrong")
    assert sets.version("hr") == 4 and [i.kind for i in sets.items("hr")] == ["positive", "positive", "negative"]
    with pytest.raises(ValueError, match="unknown kind"):
        sets.items("hr", kind="neutral")


def test_export_writes_jsonl_that_reads_back(url, tmp_path):
    queue, sets = ReviewQueue(url, clock=Clock(T0)), GoldenSets(url)
    decide(url, queue, "What is the hotel cap?", "180 euros [1].", ("c1", "c2"))
    decide(url, queue, "Who approves travel?", "Your manager [1].", ("c3",))
    decide(url, queue, "Is there a dress code?", "No [1].", reject="unsupported")
    path = tmp_path / "out" / "golden.jsonl"
    assert sets.export(path) == 2
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["question"] for r in rows] == ["What is the hotel cap?", "Who approves travel?"]
    assert set(rows[0]) == {"id", "question", "reference_answer", "reference_chunk_ids", "provenance", "kind", "reason",
                            "version"}
    assert (rows[0]["reference_chunk_ids"], rows[0]["version"], rows[1]["version"]) == (["c1", "c2"], 1, 2)
    assert rows[0]["provenance"]["reviewer"] == "alice" and rows[0]["provenance"]["decided_at"] == T0.isoformat()
    assert rows == [i.export_row() for i in sets.items(kind="positive")]
    before = path.read_bytes()
    assert sets.export(path) == 2 and path.read_bytes() == before  # deterministic
    assert sets.export(path, kind="negative") == 1
    (negative,) = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert (negative["kind"], negative["reason"], negative["reference_answer"]) == ("negative", "unsupported", "No [1].")
    assert sets.export(path, set_name="empty") == 0 and path.read_text() == ""


def test_items_can_be_added_directly(url):
    sets = GoldenSets(url)
    item = sets.add(set_name="manual", kind="positive", question="q", reference_answer="a", reference_chunk_ids=["x"],
                    provenance={"source": "curated by hand"})
    assert (item.added_in_version, item.reason, sets.version("manual")) == (1, None, 1)
    assert sets.items("manual") == [item] and item.created_at.tzinfo is not None
