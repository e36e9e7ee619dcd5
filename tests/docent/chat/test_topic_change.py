"""A new topic asked in an open conversation is searched as asked; a real follow-up is still rewritten.

Both go through the real chat path on the sample corpus: MiniLM gives the similarity, and the local
extractive model answers.
"""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_question_on_a_new_topic_is_kept_as_asked_and_answered_on_its_own(make_service, monkeypatch):
    question = "What is the home office stipend and when is it paid?"  # "it" makes it look like a follow-up
    service = make_service()
    embedder = service.deps.reader().embedder
    embedded: list[str] = []
    embed_query = embedder.embed_query
    monkeypatch.setattr(embedder, "embed_query", lambda text: embedded.append(text) or embed_query(text))
    previous, searched, answer = after_first(service, question)
    assert searched == question
    assert embedded == [FIRST], embedded  # the topic check's vector of the question is its query vector
    assert "$500" in answer, answer
    assert not answer.startswith(previous.splitlines()[0][:40]), (previous, answer)
    assert "Porter" not in answer, answer


def test_a_real_follow_up_is_still_rewritten(make_service):
    _, searched, answer = after_first(make_service(), "What about its price?")
    assert searched.startswith("What about its price?") and "Porter P2" in searched, searched
    assert "Porter" in answer, answer


# Follow-ups naming enough of their own to score low with MiniLM (cosines 0.02 to 0.27 with the last turn)
LONG_FOLLOW_UPS = [
    "What is its battery life and charging time?",
    "How much does it cost and where can customers buy it?",
    "What warranty does it come with for business customers?",
    "And how many units were shipped in the first quarter?",
]


@pytest.mark.parametrize("question", LONG_FOLLOW_UPS)
def test_a_follow_up_that_refers_back_is_rewritten_however_unlike_the_last_turn(make_service, question):
    _, searched, _ = after_first(make_service(), question)
    assert searched.startswith(question) and "Porter P2" in searched, searched


def test_a_short_follow_up_is_rewritten_whatever_its_similarity_and_zero_disables_the_check(embedder):
    from docent.chat.rewrite import needs_context, new_topic

    answer = "We launched the Porter P2 on 15 September 2025 [1]. " + "It sold. " * 200
    history = [("user", FIRST), ("assistant", answer)]
    embed = embedder.encode
    assert new_topic("What about its price?", history, embed, 0.99) is None  # names too little to stand alone
    stipend = "What is the home office stipend and when is it paid?"
    vector = new_topic(stipend, history, embed, 0.35)
    assert vector is not None and np.allclose(vector, embedder.embed_query(stipend), atol=1e-5)  # the query vector
    assert new_topic(stipend, history, embed, 0.0) is None
    pre_orders = "How many pre-orders does the Porter P2 have, and when does it ship?"
    assert new_topic(pre_orders, history, embed, 0.35) is None
    for question in LONG_FOLLOW_UPS:
        assert new_topic(question, history, embed, 0.99) is None, question
    assert not needs_context("Is there a dress code in the Singapore office?")  # "there" points at no earlier place
    assert needs_context("And there?")


def test_the_topic_check_encodes_the_last_question_and_only_the_opening_of_the_last_answer(embedder):
    from docent.chat.rewrite import ANSWER_OPENING_CHARS, new_topic

    encoded: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return embedder.encode(texts)

    answer = "Employees get a $500 home office stipend [2]. " + "It is paid with the first salary. " * 100
    new_topic("When does the Porter P2 ship to customers?", [("user", "What is the stipend?"), ("assistant", answer)],
              embed, 0.35)
    assert encoded == ["When does the Porter P2 ship to customers?", "What is the stipend?",
                       "Employees get a $500 home office stipend."]
    new_topic("When does the Porter P2 ship to customers?", [("user", "x"), ("assistant", "y" * 5000)], embed, 0.35)
    assert len(encoded[-1]) == ANSWER_OPENING_CHARS


def test_a_pronoun_refers_back_only_from_the_first_clause():
    from docent.chat.rewrite import refers_back

    assert refers_back("How much does it cost and where can customers buy it?")
    assert refers_back("And how many units were shipped in the first quarter?")
    assert refers_back("Is that covered by the business warranty?")
    assert not refers_back("What is the home office stipend and when is it paid?")  # "it" is the stipend
    assert not refers_back("Which travel policy covers the Singapore office?")
    assert not refers_back("What is the travel policy that covers contractors?")  # a relative clause
