"""The review policy inside the chat: held answers, sampled answers, curated answers served after approval."""

from __future__ import annotations

import pytest

from docent.access import Role
from docent.chat.answer_cache import SQLiteAnswerCache
from docent.review import actions
from docent.review.queue import ReviewQueue
from docent.review.users import UserStore
from tests.docent.chat.conftest import collect

pytestmark = pytest.mark.slow

QUESTION = "How many weeks of parental leave does the secondary caregiver get?"


def kinds(events) -> list[str]:
    return [e.kind for e in events]


def test_always_holds_the_answer_until_a_reviewer_approves_it_then_serves_the_approved_text(make_service, tmp_path):
    service = make_service(review={"policy": "always"}, answer_cache=SQLiteAnswerCache(tmp_path / "a.sqlite", 3600))
    message_id, events = collect(service, QUESTION)
    assert kinds(events) == ["sources", "held", "final"]
    assert events[-1].held and events[-1].text == "" and events[-1].citations == []
    assert service.finalizer.flush(30)
    queue = ReviewQueue(service.store.url)
    item = queue.for_message(message_id)
    assert item.held and item.reason == "always" and item.status == "pending" and "8 weeks" in item.answer

    _, again = collect(service, QUESTION)  # not approved yet: nothing is served from the cache
    assert "held" in kinds(again)

    reviewer = UserStore(service.store.url).add("rita", "correct horse battery", Role.REVIEWER)
    assert queue.claim(item.id, reviewer)
    corrected = item.answer.replace("Acme offers", "Acme gives")
    actions.approve(service.deps, queue, item.id, reviewer, corrected)

    _, served = collect(service, QUESTION)  # a new conversation asking the same question
    assert kinds(served) == ["sources", "token", "final"]
    assert served[-1].approved and served[-1].cache_hit and served[-1].text == corrected
    assert served[-1].citations and served[-1].citations[0]["n"] == 1
    assert served[0].sources and served[0].sources[0].text  # the sources it was approved on come with it


def test_review_if_risky_holds_a_configured_topic_and_shows_the_rest(make_service):
    service = make_service(review={"policy": "review-if-risky", "topics": ["parental leave"], "sample_rate": 0.0})
    held_id, held = collect(service, QUESTION)
    assert "held" in kinds(held) and "token" not in kinds(held)
    shown_id, shown = collect(service, "What is the hotel cap in New York?")
    assert "token" in kinds(shown) and shown[-1].text and not shown[-1].held
    assert service.finalizer.flush(30)
    queue = ReviewQueue(service.store.url)
    assert queue.for_message(held_id).reason == "topic"
    assert queue.for_message(shown_id) is None


def test_auto_shows_every_answer_and_sends_a_sample_to_review(make_service):
    service = make_service(review={"policy": "auto", "sample_rate": 1.0})
    message_id, events = collect(service, QUESTION)
    assert kinds(events)[:2] == ["sources", "token"] and not events[-1].held
    assert service.finalizer.flush(30)
    item = ReviewQueue(service.store.url).for_message(message_id)
    assert item.reason == "sample" and not item.held and item.grounding_score is None


def test_a_thumbs_down_sends_the_answer_to_review(make_service):
    service = make_service(review={"sample_rate": 0.0})
    message_id, _ = collect(service, QUESTION)
    assert service.finalizer.flush(30)
    queue = ReviewQueue(service.store.url)
    item_id = actions.send_to_review(service.store, queue, message_id)
    item = queue.get(item_id)
    assert item.reason == "feedback" and item.retrieval_score is not None and item.grounding_score == 1.0
