"""The chat: a command path that records intent, a stream path that relays tokens, and cancel.

``start`` validates a question and records it as ``queued`` in one write; ``stream`` (see
:mod:`docent.chat.stream`) retrieves, prompts and relays tokens without writing anything;
``cancel`` stops a running answer's upstream call. Everything else is the finalizer's job.
One service per process: it owns the background writer and the registry of running streams.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from docent.chat.answer_cache import AnswerCache, open_answer_cache
from docent.chat.attachments import PictureError, accept_picture
from docent.chat.events import ChatEvent
from docent.chat.finalize import Finalizer
from docent.chat.outcome import Request
from docent.chat.states import TERMINAL, State
from docent.generate.local import register_local_provider
from docent.index.base import FILTERABLE_FIELDS, validate_filters
from docent.settings import Settings
from docent.store.chat import ChatStore, UnknownConversation

log = logging.getLogger("docent.chat")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # any control character but tab and newline



class ChatRequestError(ValueError):
    """A question refused before anything was recorded; the message says what to change."""


@dataclass
class _Active:
    loop: asyncio.AbstractEventLoop
    task: asyncio.Task | None = None
    cancelled: bool = field(default=False)

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)


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
        review_queue=None,
    ):
        self.settings = settings
        self.store = store
        self.retriever = retriever  # .current() -> the live Retriever (LiveRetriever) or a Retriever
        self.embed_documents = embed_documents
        self.doc_hashes = doc_hashes
        self.answer_cache = answer_cache
        self.review_queue = review_queue  # a ReviewQueue: answers the review policy picks go there
        self.finalizer = finalizer or Finalizer()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pending: dict[str, Request] = {}
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        register_local_provider(embed_documents)
        self._swept = 0.0
        self._sweep()

    @classmethod
    def from_workspace(cls, ws, settings: Settings | None = None, **kwargs) -> ChatService:
        """The service over a :class:`~docent.workspace.Workspace`'s live index and state store.

        ``settings`` replaces the workspace's own for the chat (tests and benchmarks swap models).
        """
        from docent.ingest.manifest import Manifest

        embedder = ws.embedder
        settings = settings or ws.settings

        def doc_hashes(doc_ids: list[str]) -> dict[str, str]:
            live = ws.versions.live() or ws.versions.get(ws.version)
            records = Manifest(settings.state_url, live.version).get_many(doc_ids)
            return {d: r.content_hash for d, r in records.items() if r.status == "indexed"}

        if "answer_cache" not in kwargs:
            kwargs["answer_cache"] = open_answer_cache(settings.data_dir, settings.cache) if settings.cache.answers else None
        kwargs.setdefault("store", ChatStore(settings.state_url))
        if "review_queue" not in kwargs:
            from docent.review.queue import ReviewQueue

            kwargs["review_queue"] = ReviewQueue(settings.state_url, golden_set=settings.review.golden_set)
        return cls(
            settings,
            retriever=ws.retriever,
            embed_documents=lambda texts: embedder.embed(texts)[0],  # cached by text: sources recur across questions
            doc_hashes=doc_hashes,
            **kwargs,
        )

    # -- command path -------------------------------------------------------------------------

    def start(self, question: str, conversation_id: str | None = None, filters: dict | None = None,
              picture: bytes | None = None) -> str:
        """Validate and record a question as ``queued``; return the answer's message id.

        ``picture`` (an attached image) is checked here; the answer's stream reads it, in this process.
        """
        began = time.perf_counter()
        chat = self.settings.chat
        if not isinstance(question, str) or not question.strip():
            raise ChatRequestError("the question is empty: type a question")
        question = question.strip()
        if _CONTROL.search(question):
            raise ChatRequestError("the question holds control characters (NUL, escape sequences…): "
                                   "type it again as plain text")
        if len(question) > chat.max_question_chars:
            raise ChatRequestError(
                f"the question is {len(question):,} characters long; the limit is {chat.max_question_chars:,} "
                "(chat.max_question_chars)"
            )
        filters = self._check_filters(filters)
        self._sweep()
        try:
            attached = accept_picture(picture, chat.max_image_mb) if picture is not None else None
        except PictureError as exc:
            raise ChatRequestError(str(exc)) from None
        with self._lock:
            if len(self._pending) + len(self._active) >= chat.max_active_streams:
                raise ChatRequestError(
                    f"too many answers in progress ({chat.max_active_streams}, chat.max_active_streams): try again shortly"
                )
        new = conversation_id is None
        try:
            conversation_id, message_id = self.store.record_question(
                conversation_id=conversation_id, question=question, model=chat.model, filters=filters
            )
        except UnknownConversation:
            raise ChatRequestError(f"no conversation {conversation_id!r}: start a new one (omit the id)") from None
        request = Request(message_id, conversation_id, question, filters, chat.model, new,
                          (time.perf_counter() - began) * 1000, attached)
        with self._lock:
            self._pending[message_id] = request
        return message_id

    def cancel(self, message_id: str) -> bool:
        """Stop an answer: its upstream call is closed and it is recorded as cancelled with its partial text.

        Returns False when the answer had already ended (or runs in another process).
        """
        with self._lock:
            active = self._active.get(message_id)
            pending = self._pending.pop(message_id, None) if active is None else None
        if active is not None:
            active.cancel()
            return True
        record = self.store.get_message(message_id)
        if record is None:
            raise ChatRequestError(f"no answer {message_id!r}")
        if record.state == State.QUEUED:
            return self.store.transition(message_id, State.CANCELLED, strict=False, ended_at=datetime.now(timezone.utc))
        if pending is None and record.state not in TERMINAL:
            log.warning("answer %s streams in another process (%s); it cannot be cancelled here", message_id, record.owner)
        return False

    def stream(self, message_id: str) -> AsyncIterator[ChatEvent]:
        """The answer's events: sources, tokens, then final or error (see :mod:`docent.chat.events`)."""
        from docent.chat.stream import run_stream

        return run_stream(self, message_id)

    async def ask(self, question: str, conversation_id: str | None = None, filters: dict | None = None,
                  picture: bytes | None = None):
        """``start`` then ``stream``, for callers that need no handle in between (CLI, benchmarks)."""
        message_id = await asyncio.to_thread(self.start, question, conversation_id, filters, picture)
        async for event in self.stream(message_id):
            yield event

    def warm_up(self) -> None:
        """Open the live index and load the embedding models now, so the first answer's TTFT is its own."""
        reader = self.retriever.current() if hasattr(self.retriever, "current") else self.retriever
        reader.embedder.embed_query("warm up")
        self.embed_documents(["warm up"])

    def close(self, timeout: float = 30.0) -> None:
        """Wait for the background writes (final answers, traces) to land."""
        self.finalizer.close(timeout)

    # -- helpers for the stream ---------------------------------------------------------------

    def _sweep(self) -> None:
        """Fail the answers whose streamer died (here or in any process), at most every half
        ``chat.recovery_s``: at start-up, then from the command path of a long-lived process."""
        if time.monotonic() - self._swept < self.settings.chat.recovery_s / 2:
            return
        self._swept = time.monotonic()
        recovered = self.store.sweep(self.settings.chat.recovery_s, self.owner)
        if recovered:
            log.warning("marked %d answer(s) whose streaming process died as failed (interrupted)", len(recovered))

    def _take_request(self, message_id: str) -> Request | None:
        with self._lock:
            return self._pending.pop(message_id, None)

    def _register(self, message_id: str, active: _Active) -> None:
        with self._lock:
            self._active[message_id] = active

    def _unregister(self, message_id: str) -> None:
        with self._lock:
            self._active.pop(message_id, None)

    @staticmethod
    def _check_filters(filters: dict | None) -> dict | None:
        if not filters:
            return None
        try:
            filters = validate_filters(filters)
        except ValueError as exc:
            raise ChatRequestError(str(exc)) from None
        for key, value in filters.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
                raise ChatRequestError(
                    f"filter {key!r} must be a string, an integer or a non-empty list of them; filterable: {FILTERABLE_FIELDS}"
                )
        return {k: list(v) if isinstance(v, tuple) else v for k, v in filters.items()}
