"""The chat repository on SQLite and Postgres: one transaction per call, state changes that cannot race."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from docent.chat.states import IllegalTransition
from docent.store.chat import INTERRUPTED, ChatStore, UnknownConversation
from tests.concurrency import all_at_once

T0 = datetime(2025, 1, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def store(state_url) -> ChatStore:
    """A store on an empty database (SQLite, then Postgres)."""
    return ChatStore(state_url)


def ask(store: ChatStore, question: str = "what is docent?", conversation_id: str | None = None, **kw) -> tuple[str, str]:
    return store.record_question(conversation_id=conversation_id, question=question,
                                 **{"model": "m", "filters": None, "user_id": "u1", **kw})


def answer(store: ChatStore, message_id: str, text: str, state: str = "completed", **kw) -> bool:
    store.transition(message_id, "streaming", owner="host:1", started_at=T0)
    return store.finalize(message_id, state=state, content=text, **kw)


def trace(kind: str = "generate") -> dict:
    return dict(kind=kind, model="m", parameters={"temperature": 0}, prompt_hash="p" * 64, prompt_version="v1",
                prompt_tokens=10, completion_tokens=5, cost=0.01, latency_ms=120.0, ttft_ms=30.0)


def test_conversations_are_created_and_listed_most_recent_first(store):
    first = store.create_conversation("first", user_id="u1")
    second = store.create_conversation(None, user_id="u1")
    got = store.get_conversation(first)
    assert (got.title, got.user_id) == ("first", "u1") and got.created_at.tzinfo is not None
    assert store.get_conversation("nope") is None
    ask(store, conversation_id=first)  # asking bumps it to the top
    assert [c.id for c in store.list_conversations({"u1"})] == [first, second]
    assert len(store.list_conversations({"u1"}, limit=1)) == 1


def test_a_conversation_is_only_its_owners(store):
    cid, mid = ask(store, user_id="u1")
    assert store.list_conversations({"u2"}) == [] and store.get_conversation(cid, {"u2"}) is None
    assert store.get_message(mid, {"u2"}) is None and store.messages(cid, {"u2"}) == []
    with pytest.raises(UnknownConversation):  # another's conversation cannot be continued, and says no more
        ask(store, "mine now?", conversation_id=cid, user_id="u2")
    assert [m.user_id for m in store.messages(cid, {"u1"})] == ["u1", "u1"]
    assert store.get_message(mid, {"u1", "legacy"}).id == mid


def test_a_question_records_itself_and_a_queued_answer(store):
    cid, mid = ask(store, "q" * 100, filters={"source": "a"}, created_at=T0)
    conversation = store.get_conversation(cid)
    assert conversation.title == "q" * 80 and conversation.updated_at == T0
    user, bot = store.messages(cid)
    assert (user.seq, user.role, user.content, user.state) == (1, "user", "q" * 100, None)
    assert (bot.id, bot.seq, bot.role, bot.state, bot.content) == (mid, 2, "assistant", "queued", "")
    assert (bot.question, bot.model, bot.filters, bot.cache_hit, bot.created_at) == ("q" * 100, "m", {"source": "a"}, False, T0)
    assert store.get_message(mid) == bot and store.get_message("nope") is None


def test_ids_can_be_chosen_by_the_caller_and_seqs_follow_on(store):
    cid, _ = ask(store, title="named")
    mid, uid = str(uuid.uuid4()), str(uuid.uuid4())
    assert ask(store, "again", conversation_id=cid, message_id=mid, user_message_id=uid) == (cid, mid)
    assert [(m.id, m.seq) for m in store.messages(cid)][2:] == [(uid, 3), (mid, 4)]
    assert store.get_conversation(cid).title == "named"


def test_asking_in_an_unknown_conversation_records_nothing(store):
    with pytest.raises(UnknownConversation):
        ask(store, conversation_id="missing")
    assert store.list_conversations({"u1"}) == []


def test_history_is_the_last_completed_exchanges(store):
    cid, mid = ask(store, "q1")
    answer(store, mid, "a1")
    for i, state in ((2, "failed"), (3, "completed"), (4, "cancelled"), (5, "completed"), (6, "completed")):
        _, mid = ask(store, f"q{i}", conversation_id=cid)
        answer(store, mid, f"a{i}", state=state)
    assert store.history(cid, turns=2) == [("user", "q5"), ("assistant", "a5"), ("user", "q6"), ("assistant", "a6")]
    assert store.history(cid) == [(r, f"{x}{i}") for i in (1, 3, 5, 6) for r, x in (("user", "q"), ("assistant", "a"))]
    current = store.get_message(mid).seq
    assert store.history(cid, before_seq=current, turns=1) == [("user", "q5"), ("assistant", "a5")]
    assert store.history("missing") == []


def test_transitions_follow_the_state_machine(store):
    _, mid = ask(store)
    assert store.transition(mid, "streaming", owner="host:1", started_at=T0)
    got = store.get_message(mid)
    assert (got.state, got.owner, got.started_at) == ("streaming", "host:1", T0)
    with pytest.raises(IllegalTransition):
        store.transition(mid, "queued")
    with pytest.raises(IllegalTransition):
        store.transition(mid, "streaming")
    assert store.transition(mid, "streaming", strict=False) is False
    with pytest.raises(KeyError):
        store.transition("missing", "streaming")
    with pytest.raises(KeyError):
        store.transition("missing", "streaming", strict=False)
    user_id = store.messages(store.get_message(mid).conversation_id)[0].id
    with pytest.raises(IllegalTransition):
        store.transition(user_id, "streaming")


def test_only_one_of_two_concurrent_transitions_wins(store):
    _, mid = ask(store)
    results = all_at_once(lambda owner: store.transition(mid, "streaming", strict=False, owner=owner),
                          [f"host:{i}" for i in range(2)])
    assert sorted(results) == [False, True]


def test_checkpoints_only_land_while_streaming(store):
    _, mid = ask(store)
    assert store.checkpoint(mid, "early", T0) is False
    store.transition(mid, "streaming")
    assert store.checkpoint(mid, "partial", T0 + timedelta(seconds=1))
    got = store.get_message(mid)
    assert (got.content, got.heartbeat_at) == ("partial", T0 + timedelta(seconds=1))
    store.transition(mid, "cancelled")
    assert store.checkpoint(mid, "late", T0) is False and store.get_message(mid).content == "partial"


def test_finalize_writes_everything_once(store):
    _, mid = ask(store)
    store.transition(mid, "streaming")
    retrieval = dict(index_version="v1", query="what", mode="hybrid", k=4, latency_ms=12.5, chunk_ids=["a", "b"],
                     scores=[0.9, 0.5])
    kw = dict(state="completed", content="the answer", citations=[{"n": 1, "chunk_id": "a"}], usage={"total_tokens": 15},
              cost=0.01, metrics={"ttft_ms": 30.0}, first_token_at=T0, ended_at=T0 + timedelta(seconds=2),
              standalone_question="what is docent", traces=[trace("rewrite"), trace()], retrieval=retrieval)
    assert store.finalize(mid, **kw)
    assert store.finalize(mid, **kw) is False  # a retry writes nothing twice
    got = store.get_message(mid)
    assert (got.state, got.content, got.citations, got.usage, got.cost) == ("completed", "the answer", kw["citations"],
                                                                           {"total_tokens": 15}, 0.01)
    assert (got.first_token_at, got.ended_at, got.standalone_question) == (T0, T0 + timedelta(seconds=2), "what is docent")
    assert got.finalized_at is not None and got.finalized_at.tzinfo is not None
    traces = store.traces_for(mid)
    assert [t["kind"] for t in traces] == ["rewrite", "generate"]
    assert traces[1]["parameters"] == {"temperature": 0} and traces[1]["cache_hit"] is False
    assert traces[1]["message_id"] == mid and traces[1]["created_at"].tzinfo is not None
    got_retrieval = store.retrieval_for(mid)
    assert {k: got_retrieval[k] for k in retrieval} == retrieval
    assert store.retrieval_for("missing") is None and store.traces_for("missing") == []
    with pytest.raises(IllegalTransition):
        store.finalize(mid, state="failed", content="")
    assert store.finalize(mid, state="failed", content="", strict=False) is False


def test_a_queued_answer_can_fail_directly_and_end_states_are_checked(store):
    _, mid = ask(store)
    with pytest.raises(ValueError):
        store.finalize(mid, state="streaming", content="")
    assert store.finalize(mid, state="failed", content="", error_code="llm_unavailable", error_message="down",
                          traces=[{**trace(), "error": "llm_unavailable"}])
    got = store.get_message(mid)
    assert (got.state, got.error_code, got.error_message) == ("failed", "llm_unavailable", "down")
    assert store.traces_for(mid)[0]["error"] == "llm_unavailable"
    with pytest.raises(KeyError):
        store.finalize("missing", state="failed", content="")


def test_fields_added_after_the_end_merge_metrics(store):
    _, mid = ask(store)
    answer(store, mid, "a", metrics={"ttft_ms": 30.0})
    store.update_fields(mid, grounding=[{"sentence": "a", "supported": True}], metrics={"finalize_lag_ms": 4.0})
    got = store.get_message(mid)
    assert got.grounding == [{"sentence": "a", "supported": True}] and got.metrics == {"ttft_ms": 30.0, "finalize_lag_ms": 4.0}
    with pytest.raises(TypeError):
        store.update_fields(mid, state="queued")
    with pytest.raises(KeyError):
        store.update_fields("missing", grounding=[])


def test_recovery_fails_dead_or_silent_streams_and_keeps_their_text(store):
    now = T0 + timedelta(minutes=10)
    ids = {}
    for name, owner, beat in (("dead", "host:1", now), ("silent", "host:2", now - timedelta(minutes=5)),
                              ("live", "host:2", now - timedelta(seconds=5))):
        _, ids[name] = ask(store)
        store.transition(ids[name], "streaming", owner=owner, started_at=T0)
        store.checkpoint(ids[name], f"partial {name}", beat)
    _, ids["queued"] = ask(store)
    recovered = store.recover_interrupted(lambda owner: owner == "host:2", lease_s=60, now=now)
    assert sorted(recovered) == sorted([ids["dead"], ids["silent"]])
    for name in ("dead", "silent"):
        got = store.get_message(ids[name])
        assert (got.state, got.error_code, got.error_message) == ("failed", "interrupted", INTERRUPTED)
        assert got.content == f"partial {name}" and got.ended_at == now
    assert store.get_message(ids["live"]).state == "streaming"
    assert store.get_message(ids["queued"]).state == "queued"
    assert store.recover_interrupted(lambda owner: False, lease_s=60, now=now) == [ids["live"]]


def test_recent_metrics_has_one_row_per_answer_with_its_metrics(store):
    cid, first = ask(store, created_at=T0)
    answer(store, first, "a", metrics={"ttft_ms": 30.0, "total_ms": 900.0}, cache_hit=True)
    _, second = ask(store, conversation_id=cid, created_at=T0 + timedelta(seconds=1))
    store.finalize(second, state="failed", content="", error_code="llm_unavailable")
    frame = store.recent_metrics()
    assert list(frame["id"]) == [first, second]
    assert {"id", "created_at", "state", "error_code", "cache_hit", "model", "ttft_ms", "total_ms"} <= set(frame.columns)
    assert list(frame["state"]) == ["completed", "failed"] and list(frame["cache_hit"]) == [True, False]
    assert frame["ttft_ms"].iloc[0] == 30.0 and frame["created_at"].iloc[0] == T0
    assert list(store.recent_metrics(limit=1)["id"]) == [second]


def test_questions_asked_at_once_in_one_conversation_get_their_own_seqs(store):
    cid, _ = ask(store)
    all_at_once(lambda i: ask(store, f"q{i}", conversation_id=cid), range(4))
    assert [m.seq for m in store.messages(cid)] == list(range(1, 11))
