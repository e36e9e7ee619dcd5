"""The review policy as a decision table: no database, no randomness (the caller passes the draw)."""

from __future__ import annotations

import pytest

from docent.review.policy import Decision, decide, mentions_topic
from docent.settings import ReviewSettings

SAFE = dict(question="How long is parental leave?", supported_share=1.0, top_score=2.0)


@pytest.mark.parametrize(
    ("policy", "signals", "sample", "expected"),
    [
        ("auto", SAFE, 0.5, Decision(False, False, None)),
        ("auto", SAFE, 0.01, Decision(False, True, "sample")),
        ("auto", {**SAFE, "supported_share": 0.0, "question": "salary?"}, 0.5, Decision(False, False, None)),
        ("review-if-risky", SAFE, 0.5, Decision(False, False, None)),
        ("review-if-risky", SAFE, 0.04, Decision(False, True, "sample")),
        ("review-if-risky", {**SAFE, "question": "What is the CEO's SALARY?"}, 0.5, Decision(True, True, "topic")),
        ("review-if-risky", {**SAFE, "supported_share": 0.4}, 0.5, Decision(True, True, "low_grounding")),
        ("review-if-risky", {**SAFE, "supported_share": 0.5}, 0.5, Decision(False, False, None)),
        ("review-if-risky", {**SAFE, "top_score": -0.2}, 0.5, Decision(True, True, "low_retrieval")),
        ("review-if-risky", {**SAFE, "top_score": -0.2, "supported_share": 0.1}, 0.5, Decision(True, True, "low_grounding")),
        ("review-if-risky", {"question": "salary?", "top_score": -1.0, "supported_share": 0.0}, 0.9,
         Decision(True, True, "topic")),
        ("review-if-risky", {**SAFE, "top_score": None, "supported_share": None}, 0.5, Decision(False, False, None)),
        ("always", SAFE, 0.99, Decision(True, True, "always")),
        ("always", SAFE, 0.0, Decision(True, True, "always")),
    ],
)
def test_the_decision_table(policy, signals, sample, expected):
    settings = ReviewSettings(policy=policy, topics=["salary", "legal advice"])
    assert decide(settings, **signals, sample=sample) == expected


def test_a_zero_sample_rate_never_samples():
    assert decide(ReviewSettings(sample_rate=0.0), **SAFE, sample=0.0) == Decision(False, False, None)


def test_topics_match_whole_words_and_phrases_in_any_case():
    topics = ["pay", "Legal Advice", "  "]
    assert mentions_topic("Will my PAY go up?", topics)
    assert mentions_topic("I need legal advice, please", topics)
    assert not mentions_topic("the payload is too big", topics)
    assert not mentions_topic("legal matters and advice", topics)
    assert not mentions_topic("anything", [])
