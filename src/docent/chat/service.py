"""The chat's command path: every command carries the principal who issued it.

``start`` validates a question and records it as ``queued`` in one write; ``stream`` (see
:mod:`docent.chat.stream`) retrieves, prompts and relays tokens without writing anything;
``cancel`` stops a running answer's upstream call; ``rate`` records a vote (and sends a
thumbs-down to review). Everything else is the finalizer's job. Conversations and answers belong
to who asked: another person's id is answered as if it did not exist, so ids are not confirmed.
One service per process: it owns the background writer and the registry of running streams.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import numpy as np

from docent.access import Action, Principal, require, visible_owners
from docent.chat.answer_cache import AnswerCache, open_answer_cache
from docent.chat.attachments import PictureError, accept_picture
from docent.chat.deps import ChatDeps
from docent.chat.events import ChatEvent
from docent.chat.finalize import Finalizer
from docent.chat.registry import Streams
from docent.chat.request import (
    Busy,
    ChatRequestError,
    Request,
    UnknownId,
    UnknownIndexVersion,
    check_history,
    check_question,
    sentence,
)
from docent.chat.states import State
from docent.chat.stream import run_stream
from docent.generate.local import local_provider
from docent.index.base import FILTERABLE_FIELDS, validate_filters
from docent.review.actions import send_to_review
from docent.settings import Settings
from docent.store.audit import AuditLog
from docent.store.chat import ChatStore, UnknownConversation
from docent.store.records import ConversationRecord, MessageRecord

if TYPE_CHECKING:
    from docent.retrieve import Retriever
    from docent.review.feedback import FeedbackStore
    from docent.review.queue import ReviewQueue

__all__ = ["Busy", "ChatRequestError", "ChatService", "UnknownId", "UnknownIndexVersion"]

log = logging.getLogger("docent.chat")


class ChatService:
    def __init__(
        self,
        settings: Settings,
        store: ChatStore,
        retriever,
        embed_documents: Callable[[list[str]], np.ndarray],
        doc_hashes: Callable[[list[str]], dict[str, str]],
        answer_cache: AnswerCache | None = None,
        finalizer: Finalizer | None = None,
        review_queue: ReviewQueue | None = None,
        feedback: FeedbackStore | None = None,
        readers: Callable[[str], Retriever] | None = None,
    ):
        self.deps = ChatDeps(
            settings=settings, store=store, retriever=retriever, embed_documents=embed_documents, doc_hashes=doc_hashes,
            finalizer=finalizer or Finalizer(), streams=Streams(),
            owner=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}", audit=AuditLog(store.url),
            answer_cache=answer_cache, review_queue=review_queue, feedback=feedback, readers=readers,
        )
        self._swept = float("-inf")
        self._asking = [threading.Lock() for _ in range(64)]  # one command per person at a time (see _record)

    @classmethod
    def from_workspace(cls, ws, settings: Settings | None = None, **kwargs) -> ChatService:
        """The service over a :class:`~docent.workspace.Workspace`'s live index and state store, with the
        process's ``local/extractive`` provider registered (once per process) and interrupted answers recovered.

        ``settings`` replaces the workspace's own for the chat (tests and benchmarks swap models); any
        constructor argument given replaces the workspace's (e.g. ``retriever``: another index version).
        """
        from docent.index.versions import VersionError
        from docent.ingest.manifest import Manifest
        from docent.review.feedback import FeedbackStore
        from docent.review.queue import ReviewQueue

        embedder = ws.embedder
        settings = settings or ws.settings

        def doc_hashes(doc_ids: list[str]) -> dict[str, str]:
            live = ws.versions.live() or ws.versions.get(ws.version)
            records = Manifest(settings.state_url, live.version).get_many(doc_ids)
            return {d: r.content_hash for d, r in records.items() if r.status == "indexed"}

        def readers(version: str):
            found = ws.versions.get(version)
            if found.built_at is None:
                raise VersionError(f"index version {found.version} is not built yet: ingest into it first")
            return ws.reader(found)

        def embed_documents(texts: list[str]) -> np.ndarray:
            return embedder.embed(texts)[0]  # cached by text: sources recur across questions

        defaults: dict[str, Callable[[], object]] = {  # built only when not given: each may open a connection
            "answer_cache": lambda: open_answer_cache(settings.data_dir, settings.cache) if settings.cache.answers else None,
            "store": lambda: ChatStore(settings.state_url),
            "review_queue": lambda: ReviewQueue(kwargs["store"].url, golden_set=settings.review.golden_set),
            "feedback": lambda: FeedbackStore(kwargs["store"].url),
            "retriever": lambda: ws.retriever,
            "doc_hashes": lambda: doc_hashes,
            "readers": lambda: readers,
        }
        for name, make in defaults.items():
            if name not in kwargs:
                kwargs[name] = make()
        local_provider(embed_documents)
        service = cls(settings, embed_documents=embed_documents, **kwargs)
        service.recover()
        return service

    # What callers read of the service is its dependencies' (one copy: ``deps``).
    settings = property(lambda self: self.deps.settings)
    store = property(lambda self: self.deps.store)
    finalizer = property(lambda self: self.deps.finalizer)
    answer_cache = property(lambda self: self.deps.answer_cache)
    review_queue = property(lambda self: self.deps.review_queue)
    retriever = property(lambda self: self.deps.retriever)
    doc_hashes = property(lambda self: self.deps.doc_hashes)

    # -- command path -------------------------------------------------------------------------

    def start(self, principal: Principal, question: str, conversation_id: str | None = None,
              filters: dict | None = None, picture: bytes | None = None,
              history: list[tuple[str, str]] | None = None, index_version: str | None = None) -> str:
        """Validate and record a question as ``queued``; return the answer's message id.

        ``picture`` (an attached image) is checked here; the answer's stream reads it, in this process.
        ``history`` — earlier (role, text) turns, user or assistant — stands in for the conversation's stored
        ones (a client that keeps the exchange itself, as OpenAI clients do); it is not recorded.
        ``index_version`` answers from that built version (by id or prefix) instead of the live one.
        """
        began = time.perf_counter()
        require(principal, Action.ASK)
        chat = self.settings.chat
        question = check_question(question, chat.max_question_chars)
        filters = self._check_filters(filters)
        check_history(history)
        if index_version is not None:
            try:
                index_version = self.deps.reader(index_version).version
            except ValueError as exc:  # unknown, ambiguous or not built
                raise UnknownIndexVersion(sentence(exc)) from None
        self.recover(every_s=chat.recovery_s / 2)
        try:
            attached = accept_picture(picture, chat.max_image_mb) if picture is not None else None
        except PictureError as exc:
            log.info("refused a picture: %s (chat.max_image_mb: %g)", exc, chat.max_image_mb)
            raise ChatRequestError(str(exc)) from None
        self._drop_unread(chat.recovery_s)
        message_id = str(uuid.uuid4())
        request = Request(message_id, conversation_id or "", question, filters, chat.model, conversation_id is None,
                          principal.id, picture=attached, history=history, index_version=index_version)
        self._record(principal, request, conversation_id)
        request.command_ms = (time.perf_counter() - began) * 1000
        return message_id

    def _record(self, principal: Principal, request: Request, conversation_id: str | None) -> None:
        """Admit ``request`` within the limits and record it as queued (its conversation id set).

        The person's answers in progress are counted in the store, so the limit holds over every process; a lock
        per person (striped) makes the count and the write one step against other commands of this process.
        """
        chat = self.settings.chat
        with self._asking[hash(principal.id) % len(self._asking)]:
            since = datetime.now(timezone.utc) - timedelta(seconds=chat.recovery_s)
            if self.store.in_progress(principal.id, since) >= chat.max_streams_per_user:
                log.info("refused %s a question: %d answers in progress (chat.max_streams_per_user)",
                         principal.username, chat.max_streams_per_user)
                raise Busy(f"You already have {chat.max_streams_per_user} answers in progress: "
                           "wait for one to finish, or stop one.")
            if not self.deps.streams.admit(request, chat.max_active_streams) and not (
                    self._forget_taken_elsewhere() and self.deps.streams.admit(request, chat.max_active_streams)):
                log.warning("refused a question: this process serves %d answers (chat.max_active_streams)",
                            chat.max_active_streams)
                raise Busy("Too many answers are in progress right now: try again shortly.")
            try:
                request.conversation_id, _ = self.store.record_question(
                    conversation_id=conversation_id, question=request.question, model=chat.model,
                    filters=request.filters, user_id=principal.id, message_id=request.message_id,
                )
            except BaseException as exc:
                self.deps.streams.take(request.message_id, {principal.id})  # nothing recorded: the slot is free again
                if isinstance(exc, UnknownConversation):
                    raise self._unknown(principal, "continue", f"no conversation {conversation_id!r}",
                                        ": start a new one (omit the id)") from None
                raise

    def _forget_taken_elsewhere(self) -> bool:
        """Forget the pending questions another process has begun to stream (with several API workers, a reader
        may reach another one); True when any were."""
        pending = self.deps.streams.pending_ids()
        taken = set(pending) - self.store.still_queued(pending)
        self.deps.streams.forget(taken)
        return bool(taken)

    def _drop_unread(self, after_s: float) -> None:
        """Free the slots of questions accepted here that no stream took within ``after_s`` (a client that never
        came to read), and cancel those answers unless another process streams them."""
        for request in self.deps.streams.expire(after_s):
            if self.store.drop_unread(request.message_id, datetime.now(timezone.utc)):
                log.info("answer %s was never read: cancelled", request.message_id)

    def cancel(self, principal: Principal, message_id: str) -> bool:
        """Stop an answer: its upstream call is closed and it is recorded as cancelled with its partial text.

        An answer another process streams (another API worker) is asked to stop there, which it does at its next
        checkpoint, within about a second. Returns False when the answer had already ended.
        """
        owners = visible_owners(principal)
        active, pending = self.deps.streams.stop(message_id, owners)
        if active is not None:
            return True
        record = self.store.get_message(message_id, owners)
        if record is None or record.role != "assistant":
            raise self._unknown(principal, "cancel", f"no answer {message_id!r}")
        if record.state == State.QUEUED:
            return self.store.transition(message_id, State.CANCELLED, strict=False, ended_at=datetime.now(timezone.utc))
        if pending is None and record.state == State.STREAMING:  # another process streams it: it stops at its next
            return self.store.request_cancel(message_id, datetime.now(timezone.utc))  # checkpoint (about a second)
        return False

    def stream(self, principal: Principal, message_id: str) -> AsyncIterator[ChatEvent]:
        """The answer's events: sources, tokens, then final or error (see :mod:`docent.chat.events`)."""
        return run_stream(self.deps, message_id, principal)

    async def ask(self, principal: Principal, question: str, conversation_id: str | None = None,
                  filters: dict | None = None, picture: bytes | None = None):
        """``start`` then ``stream``, for callers that need no handle in between (CLI, benchmarks)."""
        message_id = await asyncio.to_thread(self.start, principal, question, conversation_id, filters, picture)
        async for event in self.stream(principal, message_id):
            yield event

    def rate(self, principal: Principal, message_id: str, rating: int, comment: str | None = None) -> int | None:
        """Record the asker's vote (+1 or -1) on their answer; a thumbs-down also sends it to review.

        Returns the review item's id when it was sent (None otherwise, or with no review queue).
        """
        answer = self.answer(principal, message_id)
        if self.deps.feedback is not None:
            self.deps.feedback.record(answer.id, principal.username, rating, comment)
        if rating < 0 and self.review_queue is not None:
            return send_to_review(self.store, self.review_queue, answer.id)
        return None

    # -- reading one's own conversations ------------------------------------------------------

    def conversations(self, principal: Principal, limit: int = 50) -> list[ConversationRecord]:
        """The principal's conversations, most recently active first (admins also see legacy ones)."""
        return self.store.list_conversations(visible_owners(principal), limit)

    def messages(self, principal: Principal, conversation_id: str) -> list[MessageRecord]:
        """A conversation's messages; ChatRequestError ("no conversation") when it is not the principal's."""
        owners = visible_owners(principal)
        if self.store.get_conversation(conversation_id, owners) is None:
            raise self._unknown(principal, "read", f"no conversation {conversation_id!r}")
        return self.store.messages(conversation_id, owners)

    def accepted(self, principal: Principal, message_id: str) -> Request | None:
        """The principal's question accepted by this process and not yet streaming, read from memory (its
        conversation, its owner): what a stream's first reader needs, without a read of the store."""
        return self.deps.streams.pending(message_id, visible_owners(principal))

    def answer(self, principal: Principal, message_id: str) -> MessageRecord:
        """One of the principal's answers; ChatRequestError ("no answer") otherwise."""
        record = self.store.get_message(message_id, visible_owners(principal))
        if record is None or record.role != "assistant":
            raise self._unknown(principal, "read", f"no answer {message_id!r}")
        return record

    def _unknown(self, principal: Principal, action: str, what: str, hint: str = "") -> UnknownId:
        """The refusal for an id that is not the principal's (or none at all), recorded in the audit log."""
        self.deps.audit.refused(principal.id, action, "not_found", what)
        return UnknownId(f"There is {what}{hint}.")

    # -- process lifecycle --------------------------------------------------------------------

    def warm_up(self) -> None:
        """Open the live index and load the embedding models now, so the first answer's TTFT is its own."""
        self.deps.reader().embedder.embed_query("warm up")
        self.deps.embed_documents(["warm up"])

    def recover(self, every_s: float = 0.0) -> list[str]:
        """Fail the answers whose streamer died (in this process or any other); at most once per ``every_s``.

        The command path calls it with half of ``chat.recovery_s``, so a long-lived process keeps recovering.
        """
        if time.monotonic() - self._swept < every_s:
            return []
        self._swept = time.monotonic()
        recovered = self.store.sweep(self.settings.chat.recovery_s, self.deps.owner)
        if recovered:
            log.warning("marked %d answer(s) whose streaming process died as failed (interrupted)", len(recovered))
        return recovered

    def close(self, timeout: float = 30.0) -> None:
        """Wait for the background writes (final answers, traces) to land."""
        self.finalizer.close(timeout)

    @staticmethod
    def _check_filters(filters: dict | None) -> dict | None:
        if not filters:
            return None
        try:
            filters = validate_filters(filters)
        except ValueError as exc:
            raise ChatRequestError(sentence(exc)) from None
        for key, value in filters.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
                raise ChatRequestError(
                    f"Filter {key!r} must be a string, an integer or a non-empty list of them; filterable: {FILTERABLE_FIELDS}"
                )
        return {k: list(v) if isinstance(v, tuple) else v for k, v in filters.items()}
