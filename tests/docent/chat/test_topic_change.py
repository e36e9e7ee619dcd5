"""A new topic asked in an open conversation is searched as asked; a real follow-up is still rewritten.

Both go through the real chat path on the sample corpus: MiniLM gives the similarity, and the local
extractive model answers.
"""

from __future__ import annotations

from docent.chat.events import FinalEvent, SourcesEvent
from tests.docent.chat.conftest import collect

FIRST = "When was the Porter P2 launched?"


def after_first(service, question: str) -> tuple[str, str, str]:
    """(the first answer, the question searched, the answer) for ``question`` asked after FIRST."""
    first_id, first = collect(service, FIRST)
    conversation = service.store.get_message(first_id).conversation_id
    _, events = collect(service, question, conversation_id=conversation)
    (searched,) = [e.question for e in events if isinstance(e, SourcesEvent)]
    (answer,) = [e.text for e in first + events if isinstance(e, FinalEvent)][1:]
    return next(e.text for e in first if isinstance(e, FinalEvent)), searched, answer


def test_a_question_on_a_new_topic_is_kept_as_asked_and_answered_on_its_own(make_service):
    question = "What is the home office stipend and when is it paid?"  # "it" makes it look like a follow-up
    previous, searched, answer = after_first(make_service(), question)
    assert searched == question
    assert "$500" in answer, answer
    assert not answer.startswith(previous.splitlines()[0][:40]), (previous, answer)
    assert "Porter" not in answer, answer


def test_a_real_follow_up_is_still_rewritten(make_service):
    _, searched, answer = after_first(make_service(), "What about its price?")
    assert searched.startswith("What about its price?") and "Porter P2" in searched, searched
    assert "Porter" in answer, answer


def test_a_short_follow_up_is_rewritten_whatever_its_similarity_and_zero_disables_the_check(embedder):
    from docent.chat.rewrite import changes_topic, needs_context

    history = [("user", FIRST), ("assistant", "We launched the Porter P2 on 15 September 2025 [1].")]
    embed = embedder.encode
    assert not changes_topic("What about its price?", history, embed, 0.99)  # names too little to stand alone
    assert changes_topic("What is the home office stipend and when is it paid?", history, embed, 0.35)
    assert not changes_topic("What is the home office stipend and when is it paid?", history, embed, 0.0)
    assert not changes_topic("How many pre-orders does the Porter P2 have, and when does it ship?", history, embed, 0.35)
    assert not needs_context("Is there a dress code in the Singapore office?")  # "there" points at no earlier place
    assert needs_context("And there?")
