"""The chat repository: conversations, answers and their state changes, each method one transaction.

State changes are conditional updates (``WHERE state IN allowed_from(to)``), so when two processes race
to move the same answer exactly one wins, and a retried finalization cannot write its traces twice.
Records come out as frozen dataclasses with UTC-aware timestamps (SQLite hands back naive ones).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.chat.states import TERMINAL, IllegalTransition, State, allowed_from
from docent.store.db import engine_for
from docent.store.models import Conversation, Message, Retrieval, Trace
from docent.store.records import ConversationRecord, MessageRecord, as_utc, columns_of, utc_now

if TYPE_CHECKING:
    import pandas as pd

INTERRUPTED = "the server stopped while this answer was streaming"
_POST_TERMINAL = frozenset({"grounding", "citations", "metrics"})


class UnknownConversation(ValueError):
    """A question was asked in a conversation that does not exist."""


def _stamped(values: dict, now: datetime) -> dict:
    """A trace or retrieval row as given, timestamps in UTC, created now unless it says otherwise."""
    return {"created_at": now, **{k: as_utc(v) for k, v in values.items()}}



def _new_id() -> str:
    return str(uuid.uuid4())


def owner_alive(owner: str) -> bool:
    """Whether the process named by an answer's owner ("host:pid:nonce") runs: known for this host,
    presumed for another (only its heartbeat lease can tell)."""
    host, _, rest = (owner or "").partition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(rest.split(":")[0]), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class ChatStore:
    def __init__(self, url: str):
        self.url = url
        self._engine = engine_for(url)

    def _session(self) -> Session:
        return Session(self._engine)

    def create_conversation(self, title: str | None, user_id: str) -> str:
        now, cid = utc_now(), _new_id()
        with self._session() as s, s.begin():
            s.add(Conversation(id=cid, title=title, user_id=user_id, created_at=now, updated_at=now))
        return cid

    def get_conversation(self, id: str, owners: Collection[str] | None = None) -> ConversationRecord | None:
        """The conversation; None when there is none, or when ``owners`` is given and it is not theirs."""
        with self._session() as s:
            row = s.get(Conversation, id)
            if row is None or (owners is not None and row.user_id not in owners):
                return None
            return ConversationRecord(**columns_of(row))

    def list_conversations(self, owners: Collection[str], limit: int = 50) -> list[ConversationRecord]:
        """The conversations of ``owners``, most recently active first."""
        stmt = (
            sa.select(Conversation).where(Conversation.user_id.in_(list(owners)))
            .order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit)
        )
        with self._session() as s:
            return [ConversationRecord(**columns_of(c)) for c in s.scalars(stmt)]

    def record_question(
        self,
        *,
        conversation_id: str | None,
        question: str,
        model: str,
        filters: dict | None,
        user_id: str,
        title: str | None = None,
        message_id: str | None = None,
        user_message_id: str | None = None,
        created_at: datetime | None = None,
    ) -> tuple[str, str]:
        """The question and its queued answer, in one transaction; returns (conversation id, answer id).

        A conversation that does not exist or is not ``user_id``'s raises UnknownConversation: either way
        the asker learns nothing about it.
        """
        now = as_utc(created_at) or utc_now()
        answer_id = message_id or _new_id()
        with self._session() as s, s.begin():
            if conversation_id is None:
                conversation_id = _new_id()
                s.add(Conversation(id=conversation_id, title=title or question[:80], user_id=user_id, created_at=now,
                                   updated_at=now))
                last = 0
            else:
                # Touching the conversation first locks it, so two questions at once cannot take the same seq.
                mine = sa.and_(Conversation.id == conversation_id, Conversation.user_id == user_id)
                bumped = s.execute(sa.update(Conversation).where(mine).values(updated_at=now))
                if bumped.rowcount == 0:
                    raise UnknownConversation(f"no conversation {conversation_id!r}")
                last = s.scalar(sa.select(sa.func.max(Message.seq)).where(Message.conversation_id == conversation_id)) or 0
            s.add(Message(id=user_message_id or _new_id(), conversation_id=conversation_id, seq=last + 1, role="user",
                          user_id=user_id, content=question, created_at=now))
            s.add(Message(id=answer_id, conversation_id=conversation_id, seq=last + 2, role="assistant", user_id=user_id,
                          content="", state=State.QUEUED.value, question=question, model=model, filters=filters,
                          created_at=now))
        return conversation_id, answer_id

    def get_message(self, id: str, owners: Collection[str] | None = None) -> MessageRecord | None:
        """The message; None when there is none, or when ``owners`` is given and it is not theirs."""
        with self._session() as s:
            row = s.get(Message, id)
            if row is None or (owners is not None and row.user_id not in owners):
                return None
            return MessageRecord(**columns_of(row))

    def messages(self, conversation_id: str, owners: Collection[str] | None = None) -> list[MessageRecord]:
        """The conversation's messages in order (none when ``owners`` is given and it is not theirs)."""
        stmt = sa.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        if owners is not None:
            stmt = stmt.where(Message.user_id.in_(list(owners)))
        with self._session() as s:
            return [MessageRecord(**columns_of(m)) for m in s.scalars(stmt)]

    def history(self, conversation_id: str, before_seq: int | None = None, turns: int = 4) -> list[tuple[str, str]]:
        """The last ``turns`` completed exchanges as (role, content), oldest first; failed answers are left out."""
        stmt = (
            sa.select(Message.question, Message.content)
            .where(Message.conversation_id == conversation_id, Message.role == "assistant",
                   Message.state == State.COMPLETED.value)
            .order_by(Message.seq.desc())
            .limit(turns)
        )
        if before_seq is not None:
            stmt = stmt.where(Message.seq < before_seq)
        with self._session() as s:
            pairs = list(s.execute(stmt))[::-1]
        return [turn for q, a in pairs for turn in (("user", q or ""), ("assistant", a))]

    def in_progress(self, user_id: str, queued_since: datetime) -> int:
        """The user's answers in progress in any process: streaming, or queued since ``queued_since``."""
        live = sa.or_(Message.state == State.STREAMING.value,
                      sa.and_(Message.state == State.QUEUED.value, Message.created_at >= as_utc(queued_since)))
        stmt = sa.select(sa.func.count()).select_from(Message).where(Message.user_id == user_id, live)
        with self._session() as s:
            return s.scalar(stmt) or 0

    def still_queued(self, message_ids: Collection[str]) -> set[str]:
        """Those of ``message_ids`` no stream has taken yet."""
        stmt = sa.select(Message.id).where(Message.id.in_(list(message_ids)), Message.state == State.QUEUED.value)
        with self._session() as s:
            return set(s.scalars(stmt)) if message_ids else set()

    def drop_unread(self, message_id: str, now: datetime) -> bool:
        """Cancel an answer nobody began to stream (still queued); False once a stream has taken it."""
        stmt = (
            sa.update(Message).where(Message.id == message_id, Message.state == State.QUEUED.value)
            .values(state=State.CANCELLED.value, error_code="unread", ended_at=as_utc(now), finalized_at=as_utc(now),
                    error_message="nobody began to read this answer in time (chat.recovery_s): ask again")
            .execution_options(synchronize_session=False)
        )
        with self._session() as s, s.begin():
            return s.execute(stmt).rowcount > 0

    def transition(self, message_id: str, to: str, *, strict: bool = True, **fields: Any) -> bool:
        """Move an answer to ``to`` (writing ``fields`` with it) if its state allows; True when applied.

        Otherwise KeyError for an unknown message and IllegalTransition for a state that does not allow it,
        or False with ``strict=False`` (a retry that finds the move already made).
        """
        target = State(to)
        with self._session() as s, s.begin():
            if self._move(s, message_id, target, fields):
                return True
            self._refuse(message_id, self._state(s, message_id), target, strict)
            return False

    def request_cancel(self, message_id: str, now: datetime) -> bool:
        """Ask the process streaming an answer to stop it (it reads the request at its next checkpoint)."""
        stmt = (
            sa.update(Message).where(Message.id == message_id, Message.state == State.STREAMING.value)
            .values(cancel_requested_at=as_utc(now)).execution_options(synchronize_session=False)
        )
        with self._session() as s, s.begin():
            return s.execute(stmt).rowcount > 0

    def checkpoint(self, message_id: str, content: str, heartbeat_at: datetime) -> bool:
        """Save the partial answer and prove the streamer alive; False when the answer is no longer streaming, or
        another process asked for it to be cancelled (:meth:`request_cancel`)."""
        stmt = (
            sa.update(Message)
            .where(Message.id == message_id, Message.state == State.STREAMING.value,
                   Message.cancel_requested_at.is_(None))
            .values(content=content, heartbeat_at=as_utc(heartbeat_at))
        )
        with self._session() as s, s.begin():
            return s.execute(stmt).rowcount > 0

    def finalize(
        self,
        message_id: str,
        *,
        state: str,
        content: str,
        error_code: str | None = None,
        error_message: str | None = None,
        citations: list | None = None,
        grounding: list | None = None,
        usage: dict | None = None,
        cost: float | None = None,
        metrics: dict | None = None,
        cache_hit: bool = False,
        ended_at: datetime | None = None,
        first_token_at: datetime | None = None,
        standalone_question: str | None = None,
        traces: Iterable[dict] = (),
        retrieval: dict | None = None,
        strict: bool = True,
    ) -> bool:
        """End an answer with everything it produced, its LLM traces and its retrieval, in one transaction.

        False, writing nothing, when the answer already ended in ``state`` (a retried finalization);
        another end state is refused like :meth:`transition`.
        """
        target = State(state)
        if target not in TERMINAL:
            raise ValueError(f"finalize needs an end state, not {target}")
        now = utc_now()
        values = dict(
            content=content, error_code=error_code, error_message=error_message, citations=citations,
            grounding=grounding, usage=usage, cost=cost, metrics=metrics, cache_hit=cache_hit,
            ended_at=ended_at or now, first_token_at=first_token_at, standalone_question=standalone_question,
            finalized_at=now,
        )
        with self._session() as s, s.begin():
            if not self._move(s, message_id, target, values):
                current = self._state(s, message_id)
                if current != target.value:
                    self._refuse(message_id, current, target, strict)
                return False
            s.add_all(Trace(**_stamped(t, now), message_id=message_id) for t in traces)
            if retrieval is not None:
                s.add(Retrieval(**_stamped(retrieval, now), message_id=message_id))
        return True

    def update_fields(self, message_id: str, **fields: Any) -> None:
        """Add what arrives after the answer ended (grounding, citations, metrics); metrics are merged."""
        unknown = set(fields) - _POST_TERMINAL
        if unknown:
            raise TypeError(f"update_fields only takes {sorted(_POST_TERMINAL)}, not {sorted(unknown)}")
        with self._session() as s, s.begin():
            current = s.execute(sa.select(Message.metrics).where(Message.id == message_id).with_for_update()).first()
            if current is None:
                raise KeyError(message_id)
            if "metrics" in fields:
                fields["metrics"] = {**(current.metrics or {}), **(fields["metrics"] or {})}
            s.execute(sa.update(Message).where(Message.id == message_id).values(**fields))

    def sweep(self, lease_s: float, mine: str | None = None) -> list[str]:
        """:meth:`recover_interrupted` with :func:`owner_alive`: any process that touches the store
        can fail the answers left streaming by a process that died (``mine``: this process's owner)."""
        return self.recover_interrupted(lambda owner: owner == mine or owner_alive(owner), lease_s)

    def recover_interrupted(self, is_alive: Callable[[str], bool], lease_s: float, now: datetime | None = None) -> list[str]:
        """Fail the answers whose streamer died (owner gone, or silent longer than the lease); partial text stays."""
        now = as_utc(now) or utc_now()
        cutoff = now - timedelta(seconds=lease_s)
        stmt = sa.select(Message.id, Message.owner, Message.heartbeat_at, Message.started_at, Message.created_at).where(
            Message.state == State.STREAMING.value
        )
        with self._session() as s:
            rows = list(s.execute(stmt))
        dead = [
            r.id for r in rows
            if (r.owner is not None and not is_alive(r.owner)) or as_utc(r.heartbeat_at or r.started_at or r.created_at) < cutoff
        ]
        fields = dict(error_code="interrupted", error_message=INTERRUPTED, ended_at=now, finalized_at=now)
        return [mid for mid in dead if self.transition(mid, State.FAILED, strict=False, **fields)]

    def _move(self, s: Session, message_id: str, target: State, values: dict[str, Any]) -> bool:
        sources = [st.value for st in allowed_from(target)]
        stmt = (
            sa.update(Message)
            .where(Message.id == message_id, Message.state.in_(sources))
            .values(state=target.value, **{k: as_utc(v) for k, v in values.items()})
            .execution_options(synchronize_session=False)
        )
        return s.execute(stmt).rowcount > 0

    @staticmethod
    def _state(s: Session, message_id: str) -> str | None:
        """The message's state (None for a question), or KeyError when there is no such message."""
        row = s.execute(sa.select(Message.state).where(Message.id == message_id)).first()
        if row is None:
            raise KeyError(message_id)
        return row.state

    @staticmethod
    def _refuse(message_id: str, current: str | None, target: State, strict: bool) -> None:
        if strict:
            raise IllegalTransition(f"message {message_id} cannot go from {current or 'a question'} to {target}")

    def traces_for(self, message_id: str) -> list[dict]:
        with self._session() as s:
            return [columns_of(t) for t in s.scalars(sa.select(Trace).where(Trace.message_id == message_id).order_by(Trace.id))]

    def retrieval_for(self, message_id: str) -> dict | None:
        stmt = sa.select(Retrieval).where(Retrieval.message_id == message_id).order_by(Retrieval.id.desc()).limit(1)
        with self._session() as s:
            row = s.scalar(stmt)
            return columns_of(row) if row else None

    def recent_metrics(self, limit: int = 1000) -> pd.DataFrame:
        """One row per answer among the newest ``limit``, oldest first, with its metrics as columns."""
        import pandas as pd  # for the dashboard only: not worth its import time for every store user

        cols = (Message.id, Message.created_at, Message.state, Message.error_code, Message.cache_hit, Message.model)
        stmt = sa.select(*cols, Message.metrics).where(Message.role == "assistant")
        stmt = stmt.order_by(Message.created_at.desc(), Message.id).limit(limit)
        with self._session() as s:
            rows = list(s.execute(stmt))[::-1]
        base = pd.DataFrame([{c.key: as_utc(getattr(r, c.key)) for c in cols} for r in rows], columns=[c.key for c in cols])
        extra = pd.DataFrame([r.metrics or {} for r in rows], index=base.index)
        return pd.concat([base, extra.drop(columns=[c for c in extra.columns if c in base.columns])], axis=1)
