"""Whether an answer goes to a human reviewer, and whether the asker must wait for the decision.

A pure function of the settings and the answer's signals: the caller draws ``sample`` (a random float in
[0, 1)), so the same inputs always give the same decision and the table below is testable.

========================  ==========================================  ============================
policy                    risky answer                                other answers
========================  ==========================================  ============================
``auto``                  shown; reviewed when sampled                shown; reviewed when sampled
``review-if-risky``       held for review (reason: why it is risky)   shown; reviewed when sampled
``always``                held for review (reason ``always``)         held for review
========================  ==========================================  ============================

Risky, in the order its reason is reported: the question mentions a configured topic, too few of the
answer's sentences are supported by its sources, or the best retrieval score is low. An unknown signal
(None: not measured, e.g. a cached answer) is not evidence of risk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docent.settings import ReviewSettings


@dataclass(frozen=True)
class Decision:
    hold: bool  # the answer is not shown until a reviewer approves it
    review: bool  # the answer goes to the review queue
    reason: str | None  # why (a review_items.reason), None when not reviewed


def mentions_topic(question: str, topics: list[str]) -> bool:
    """Whole words or phrases, any case: 'pay' matches 'Pay rise?' but not 'payload'."""
    text = question.casefold()
    return any(
        re.search(rf"(?<!\w){re.escape(t.casefold().strip())}(?!\w)", text) for t in topics if t.strip()
    )


def risk(settings: ReviewSettings, *, question: str, supported_share: float | None, top_score: float | None) -> str | None:
    """The first reason the answer is risky (topic, low_grounding, low_retrieval), or None."""
    if mentions_topic(question, settings.topics):
        return "topic"
    if supported_share is not None and supported_share < settings.min_grounding:
        return "low_grounding"
    if top_score is not None and top_score < settings.min_retrieval_score:
        return "low_retrieval"
    return None


def decide(
    settings: ReviewSettings, *, question: str, supported_share: float | None, top_score: float | None, sample: float
) -> Decision:
    """What happens to one answer under ``settings.policy`` (see the module's table)."""
    if settings.policy == "always":
        return Decision(hold=True, review=True, reason="always")
    if settings.policy == "review-if-risky":
        reason = risk(settings, question=question, supported_share=supported_share, top_score=top_score)
        if reason is not None:
            return Decision(hold=True, review=True, reason=reason)
    if sample < settings.sample_rate:
        return Decision(hold=False, review=True, reason="sample")
    return Decision(hold=False, review=False, reason=None)
