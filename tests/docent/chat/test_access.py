"""Who may do what with a conversation, through the chat core, on SQLite and Postgres: every command
× every role × owner or not. Another person's conversation or answer reads as if it did not exist."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from docent.access import LEGACY_OWNER, Action, PermissionDenied, Principal, Role, allowed, visible_owners
from docent.chat.service import ChatRequestError
from docent.review.feedback import FeedbackStore
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.chat import ChatStore
from tests.docent.chat.conftest import collect

pytestmark = pytest.mark.slow

ROLES = list(Role)


def person(role: Role, name: str) -> Principal:
    return Principal(id=f"{name}-id", username=name, role=role)


def test_the_policy_table():
    """The roles and what each allows (the issue's list): only reviewers decide, only admins manage users."""
    table = {role: {a for a in Action if allowed(person(role, "x"), a)} for role in Role}
    assert table[Role.MEMBER] == {Action.ASK}
    assert Action.DECIDE_REVIEW in table[Role.REVIEWER] and Action.DECIDE_REVIEW not in table[Role.ADMIN]
    assert Action.READ_EVALUATION in table[Role.ANALYST] and Action.READ_EVALUATION not in table[Role.REVIEWER]
    assert {r for r in Role if Action.MANAGE_USERS in table[r]} == {Role.ADMIN}
    assert not allowed(Principal("d", "d", Role.ADMIN, disabled=True), Action.ASK)
    assert visible_owners(person(Role.ADMIN, "a")) == {"a-id", LEGACY_OWNER}
    assert visible_owners(person(Role.REVIEWER, "r")) == {"r-id"}


@pytest.mark.parametrize("role", ROLES)
def test_nobody_reaches_another_persons_conversation(make_service, state_url, role):
    service = make_service(store=ChatStore(state_url))
    owner, intruder = person(Role.MEMBER, "ann"), person(role, "ben")
    message_id, _ = collect(service, "What is the hotel cap in New York?", principal=owner)
    service.finalizer.flush(30)
    conversation = service.answer(owner, message_id).conversation_id

    # the owner lists, opens, continues and rates it
    assert [c.id for c in service.conversations(owner)] == [conversation]
    assert [r.role for r in service.messages(owner, conversation)] == ["user", "assistant"]
    assert service.rate(owner, message_id, -1, "too vague") is not None  # a thumbs-down goes to review

    # anyone else, whatever their role, learns nothing: not listed, and every id reads as "no such …"
    assert service.conversations(intruder) == []
    with pytest.raises(ChatRequestError, match="no conversation"):
        service.messages(intruder, conversation)
    with pytest.raises(ChatRequestError, match="no conversation"):
        service.start(intruder, "And in Paris?", conversation)
    for command in (lambda: service.answer(intruder, message_id), lambda: service.rate(intruder, message_id, 1),
                    lambda: service.cancel(intruder, message_id)):
        with pytest.raises(ChatRequestError, match="no answer"):
            command()
    with pytest.raises(ChatRequestError, match="no answer"):
        asyncio.run(anext(aiter(service.stream(intruder, message_id))))

    # nothing was written for the refused commands: two messages, one vote (the owner's)
    assert len(service.store.messages(conversation)) == 2
    assert [f.username for f in FeedbackStore(state_url).for_message(message_id)] == ["ann"]
    # but each refusal is in the audit log, with what was asked for (the intruder was told only "no such …")
    refusals = AuditLog(state_url).recent(actor=intruder.id)
    assert sorted(r.action for r in refusals) == ["cancel", "continue", "read", "read", "read", "stream"]
    assert {r.reason for r in refusals} == {"not_found"} and any(message_id in r.detail for r in refusals)


def test_a_queued_answer_is_streamed_and_cancelled_only_by_its_asker(make_service):
    service = make_service()
    owner, intruder = person(Role.MEMBER, "ann"), person(Role.ADMIN, "root")
    message_id = service.start(owner, "Who leads the Lyon lab?")
    with pytest.raises(ChatRequestError, match="no answer"):
        service.cancel(intruder, message_id)
    with pytest.raises(ChatRequestError, match="no answer"):
        asyncio.run(anext(aiter(service.stream(intruder, message_id))))
    assert service.cancel(owner, message_id) is True  # still queued: recorded as cancelled before it streamed
    assert service.answer(owner, message_id).state == "cancelled"


def test_a_disabled_account_and_an_unknown_role_are_refused_before_anything_is_written(make_service):
    service = make_service()
    with pytest.raises(PermissionDenied, match="disabled"):
        service.start(Principal("d-id", "dora", Role.MEMBER, disabled=True), "Who leads the Lyon lab?")
    with pytest.raises(ValueError, match="unknown role 'boss'; choose one of member, reviewer"):
        Principal("x-id", "xavier", "boss")  # type: ignore[arg-type]
    assert service.store.list_conversations({"d-id"}) == []


def test_answers_in_progress_are_limited_per_person(make_service):
    service = make_service(max_streams_per_user=2)
    ann, ben = person(Role.MEMBER, "ann"), person(Role.MEMBER, "ben")
    first = service.start(ann, "one?")
    service.start(ann, "two?")
    with pytest.raises(ChatRequestError, match="You already have 2 answers in progress"):
        service.start(ann, "three?")
    service.start(ben, "one?")  # another person is not held back
    service.cancel(ann, first)  # one of hers ends: she may ask again
    service.start(ann, "three?")
    assert len(service.conversations(ann)) == 3


def drain(service, who: Principal, message_id: str) -> None:
    """Stream an answer to its end (as the process a reader reached would)."""
    async def read() -> None:
        async for _ in service.stream(who, message_id):
            pass

    asyncio.run(read())


def test_the_limit_per_person_counts_answers_in_every_process(make_service, state_url):
    """Two services on one state store stand for two API processes: the person's answers add up."""
    store = ChatStore(state_url)
    here, there = (make_service(store=store, max_streams_per_user=2) for _ in range(2))
    ann = person(Role.MEMBER, "ann")
    here.start(ann, "one?")
    there.start(ann, "two?")
    for service in (here, there):
        with pytest.raises(ChatRequestError, match="You already have 2 answers in progress"):
            service.start(ann, "three?")
    here.start(person(Role.MEMBER, "ben"), "one?")


def test_a_question_nobody_reads_is_cancelled_and_frees_its_slot(make_service, state_url):
    store = ChatStore(state_url)
    here, there = (make_service(store=store, max_streams_per_user=2) for _ in range(2))
    ann = person(Role.MEMBER, "ann")
    unread, elsewhere = here.start(ann, "one?"), here.start(ann, "two?")
    drain(there, ann, elsewhere)  # another process streams the second (its reader went there)
    there.finalizer.flush(30)
    for message_id in (unread, elsewhere):  # both were accepted long ago here
        here.deps.streams.pending(message_id, {ann.id}).accepted_at -= here.settings.chat.recovery_s + 1
    here.start(ann, "three?")  # the expired ones are dropped first, so she is within her limit
    assert (store.get_message(unread).state, store.get_message(unread).error_code) == ("cancelled", "unread")
    assert store.get_message(elsewhere).state == "completed"  # streamed elsewhere: not touched
    assert here.deps.streams.pending(unread, {ann.id}) is None


def test_questions_another_process_streams_do_not_hold_this_ones_places(make_service, state_url):
    """With several API workers, a question accepted by one may be read (streamed) by another."""
    store = ChatStore(state_url)
    here, there = make_service(store=store, max_active_streams=2), make_service(store=store)
    ann = person(Role.MEMBER, "ann")
    taken = [here.start(ann, "one?"), here.start(ann, "two?")]
    for message_id in taken:
        drain(there, ann, message_id)
    there.finalizer.flush(30)
    here.start(ann, "three?")  # its two places were held by answers streamed elsewhere: forgotten, not refused
    assert not set(taken) & set(here.deps.streams.pending_ids())


def test_ownerless_conversations_become_legacy_and_only_admins_see_them(make_service, tmp_path):
    """Migration 0007: conversations recorded before owners were belong to 'legacy'."""
    from alembic import command
    from alembic.config import Config

    from docent.store.migrate import SCRIPTS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        conn.execute(sa.text("INSERT INTO conversations (id, title, created_at, updated_at) "
                             "VALUES ('old', 'before owners', '2026-01-01', '2026-01-01')"))
        conn.execute(sa.text("INSERT INTO messages (id, conversation_id, seq, role, content, cache_hit, created_at) "
                             "VALUES ('q1', 'old', 1, 'user', 'hello?', 0, '2026-01-01')"))
    engine.dispose()
    service = make_service(store=ChatStore(url))  # opening the store brings it to the latest schema
    with sa.create_engine(url).connect() as conn:
        assert conn.scalar(sa.select(m.Message.user_id).where(m.Message.id == "q1")) == LEGACY_OWNER
    assert [c.id for c in service.conversations(person(Role.ADMIN, "root"))] == ["old"]
    for role in (Role.MEMBER, Role.REVIEWER, Role.ANALYST):
        assert service.conversations(person(role, "someone")) == []
