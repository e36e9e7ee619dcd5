"""The chat end to end on the sample corpus: command, stream, finalization, validation, follow-ups."""

from __future__ import annotations

import time

import pytest

from docent.chat.events import ErrorEvent, FinalEvent, SourcesEvent, TokenEvent
from docent.chat.service import ChatRequestError
from docent.chat.stream import CHECKPOINT_S
from docent.generate.local import NO_ANSWER
from docent.store.chat import ChatStore
from tests.docent.chat.conftest import collect
from tests.principals import ASKER

pytestmark = pytest.mark.slow


def test_local_answer_streams_with_resolved_citations_and_is_recorded(make_service):
    service = make_service()
    message_id, events = collect(service, "How many weeks of parental leave does the secondary caregiver get?")
    kinds = [type(e) for e in events]
    assert kinds[0] is SourcesEvent and kinds[-1] is FinalEvent and TokenEvent in kinds
    final = events[-1]
    assert final.state == "completed" and final.citations, final
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)).strip() == final.text.strip()
    sources = {s.n: s for s in events[0].sources}
    for c in final.citations:  # every marker resolves to a retrieved chunk
        assert sources[c["n"]].chunk_id == c["chunk_id"]
    assert any("handbook" in c["source_uri"] for c in final.citations)

    assert service.finalizer.flush(30)
    record = service.store.get_message(message_id)
    assert record.state == "completed" and record.content == final.text
    assert record.grounding and all(g["supported"] for g in record.grounding), record.grounding
    for key in ("command_ms", "retrieval_ms", "ttft_ms", "total_ms", "finalize_lag_ms"):
        assert record.metrics[key] >= 0, key
    (trace,) = service.store.traces_for(message_id)
    assert trace["model"] == "local/extractive" and trace["ttft_ms"] is not None and trace["completion_tokens"]
    retrieval = service.store.retrieval_for(message_id)
    assert retrieval["index_version"] == service.retriever.current().version
    assert retrieval["chunk_ids"] == [s.chunk_id for s in events[0].sources]
    assert [s["text"] for s in retrieval["sources"]] == [s.text for s in events[0].sources]  # what the model saw


def test_unanswerable_question_says_it_does_not_know(make_service):
    _, events = collect(make_service(), "What is the boiling point of tungsten on Venus?")
    assert events[-1].text == NO_ANSWER and events[-1].citations == []


def test_no_store_write_happens_per_token(make_service):
    service = make_service(model="scripted/x")
    from docent.devtools.scripted_llm import register_scripted

    register_scripted().enqueue([f"t{i} " for i in range(200)])
    writes = []
    for name in ("transition", "checkpoint", "finalize", "update_fields", "record_question"):
        original = getattr(service.store, name)
        setattr(service.store, name, lambda *a, _o=original, _n=name, **k: (writes.append(_n), _o(*a, **k))[1])
    started = time.perf_counter()
    _, events = collect(service, "What is the hotel cap in New York?")
    streamed_s = time.perf_counter() - started
    assert service.finalizer.flush(30)
    assert sum(isinstance(e, TokenEvent) for e in events) == 200
    # partial text is checkpointed once per CHECKPOINT_S, however many tokens: on a slow machine
    # the 200 tokens may span a checkpoint or two
    assert writes.count("checkpoint") <= streamed_s / CHECKPOINT_S, (writes, streamed_s)
    others = [w for w in writes if w != "checkpoint"]
    assert others == ["record_question", "transition", "finalize", "update_fields"], writes  # the last: grounding


@pytest.mark.parametrize(
    "question, conversation, filters, message",
    [
        ("   ", None, None, "empty"),
        ("x" * 2001, None, None, "limit is 2,000"),
        ("Where is Lyon?", "no-such-conversation", None, "no conversation"),
        ("Where is Lyon?", None, {"colour": "red"}, "Unknown filter"),
        ("Where is Lyon?", None, {"doc_id": {"nested": 1}}, "must be a string"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_recorded(make_service, question, conversation, filters, message):
    service = make_service()
    with pytest.raises(ChatRequestError, match=message):
        service.start(ASKER, question, conversation, filters)
    assert service.store.list_conversations({ASKER.id}) == []


@pytest.mark.parametrize("question", ["Where is\x00 Lyon?", "\x00\x00", "\x1b[31mWhere is Lyon?\x1b[0m", "Lyon\x07?"])
def test_control_characters_are_refused_the_same_on_sqlite_and_postgres(make_service, state_url, question):
    from docent.store.chat import ChatStore

    service = make_service(store=ChatStore(state_url))
    with pytest.raises(ChatRequestError, match="control characters"):
        service.start(ASKER, question)
    assert service.store.list_conversations({ASKER.id}) == []
    service.start(ASKER, "Where is\tLyon?\nAnd Oslo?")  # tabs and newlines are plain text
    assert len(service.store.list_conversations({ASKER.id})) == 1


def test_too_many_answers_in_progress_are_refused(make_service):
    service = make_service(max_active_streams=2)
    service.start(ASKER, "one?")
    service.start(ASKER, "two?")
    with pytest.raises(ChatRequestError, match="Too many answers"):
        service.start(ASKER, "three?")


class LateStore(ChatStore):
    """Records a finished answer half a second late, as a loaded store would."""

    def finalize(self, *args, **kwargs):
        time.sleep(0.5)
        return super().finalize(*args, **kwargs)


def test_follow_up_is_rewritten_and_sees_the_history(make_service, tmp_path):
    from docent.devtools.scripted_llm import register_scripted

    scripted = register_scripted()
    # the follow-up is asked the moment the first answer ends, before the store has recorded it
    service = make_service(model="scripted/x", store=LateStore(f"sqlite:///{tmp_path / 'late.db'}"))
    scripted.enqueue("New York hotels are capped at 350 USD per night [1].")
    first_id, _ = collect(service, "What is the hotel cap in New York?")
    conversation = service.store.get_message(first_id).conversation_id
    scripted.enqueue("It is 250 EUR [1].")
    second_id, events = collect(service, "And in Paris?", conversation_id=conversation)
    assert isinstance(events[0], SourcesEvent)
    assert "hotel cap in New York" in events[0].question and "Paris" in events[0].question
    prompt = scripted.calls[-1]["messages"]
    assert [m["role"] for m in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[2]["content"].startswith("New York hotels are capped")
    assert service.finalizer.flush(30)
    assert service.store.get_message(second_id).standalone_question == events[0].question


def test_invalid_citation_markers_are_removed_and_unsupported_sentences_flagged(make_service):
    from docent.devtools.scripted_llm import register_scripted

    register_scripted().enqueue("The Lyon lab studies volcanoes on Mars [1]. See also [42].")
    service = make_service(model="scripted/x")
    message_id, events = collect(service, "Who leads the Lyon lab?")
    final = events[-1]
    assert final.invalid_markers == [42] and "[42]" not in final.text
    assert service.finalizer.flush(30)
    grounding = service.store.get_message(message_id).grounding
    assert grounding and not grounding[0]["supported"], grounding


def test_provider_error_before_the_first_token_is_a_clear_failure(make_service):
    from litellm import AuthenticationError

    from docent.devtools.scripted_llm import register_scripted

    err = AuthenticationError(message="bad key", llm_provider="scripted", model="x")
    register_scripted().enqueue(err)
    service = make_service(model="scripted/x", retries=0)
    message_id, events = collect(service, "Who leads the Lyon lab?")
    assert isinstance(events[-1], ErrorEvent) and events[-1].code == "auth"
    assert "API key" in events[-1].message
    assert service.finalizer.flush(30)
    record = service.store.get_message(message_id)
    assert record.state == "failed" and record.error_code == "auth"


def test_a_configured_judge_model_grounds_each_cited_sentence(make_service):
    from docent.devtools.scripted_llm import register_scripted

    scripted = register_scripted()
    scripted.enqueue("The Lyon lab is led by Hélène Mercier [1]. It builds rockets for the moon [1].")
    scripted.enqueue("yes")
    scripted.enqueue("no")
    service = make_service(model="scripted/x", judge_model="scripted/judge")
    message_id, _ = collect(service, "Who leads the Lyon lab?")
    assert service.finalizer.flush(30)
    grounding = service.store.get_message(message_id).grounding
    assert [g["supported"] for g in grounding] == [True, False]
    judged = scripted.calls[-1]["messages"]
    assert judged[0]["role"] == "system" and "quoted data" in judged[0]["content"]
