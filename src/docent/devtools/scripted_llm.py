"""A scripted chat model for tests: ``scripted/<anything>`` replies what the test enqueued.

Like simonw/llm's mock model, it lets a test drive the whole path through litellm (routing,
streaming wrapper, exception mapping) without a network or weights, and assert on the prompt it
received. Replies are served first in, first out; when none is left it answers ``DEFAULT_REPLY``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from litellm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse

from docent.generate.providers import fill_response, final_chunk, prompt_tokens, register_provider, text_chunk, words

DEFAULT_REPLY = "scripted reply"


@dataclass(frozen=True)
class _Reply:
    tokens: list[str]
    error: Exception | None = None  # raised after ``fail_after`` tokens (0: before the first)
    fail_after: int = 0
    first_token_s: float = 0.0
    token_s: float = 0.0

    def delay(self, i: int) -> float:
        return self.first_token_s if i == 0 else self.token_s


class ScriptedLLM(CustomLLM):
    """Serves enqueued replies and records every call (``calls``: model, messages, optional_params)."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[_Reply] = deque()
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []

    def enqueue(
        self,
        reply: str | list[str] | Exception,
        *,
        first_token_s: float = 0,
        token_s: float = 0,
        fail_after: int | None = None,
        error: Exception | None = None,
    ) -> None:
        """Script the next reply: tokens (a string is split into words), or an exception raised at
        the start; ``fail_after=k, error=e`` raises ``e`` after ``k`` tokens instead."""
        if isinstance(reply, Exception):
            self._push(_Reply([], reply, 0, first_token_s, token_s))
            return
        if (fail_after is None) != (error is None):
            raise ValueError("fail_after and error go together")
        tokens = words(reply) if isinstance(reply, str) else list(reply)
        self._push(_Reply(tokens, error, fail_after or 0, first_token_s, token_s))

    def _push(self, reply: _Reply) -> None:
        with self._lock:
            self._queue.append(reply)

    def _start(self, model: str, messages: list, kwargs: dict) -> _Reply:
        """Record the call and pop its reply; an error scripted before the first token is raised here,
        so it reaches the caller from the ``completion`` call itself, as a refused connection would."""
        with self._lock:
            params = dict(kwargs.get("optional_params") or {})
            self.calls.append({"model": model, "messages": messages, "optional_params": params})
            reply = self._queue.popleft() if self._queue else _Reply(words(DEFAULT_REPLY))
        if reply.error is not None and reply.fail_after == 0:
            raise reply.error
        return reply

    @staticmethod
    def _steps(reply: _Reply) -> Iterator[tuple[float, str]]:
        """(delay before it, token) in order, then the scripted error if there is one."""
        for i, token in enumerate(reply.tokens[: reply.fail_after] if reply.error else reply.tokens):
            yield reply.delay(i), token
        if reply.error is not None:
            raise reply.error

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        reply = self._start(model, messages, kwargs)
        parts = []
        for delay, token in self._steps(reply):
            time.sleep(delay)
            parts.append(token)
        return fill_response(kwargs["model_response"], model, "".join(parts), prompt_tokens(messages))

    async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        reply = self._start(model, messages, kwargs)
        parts = []
        for delay, token in self._steps(reply):
            await asyncio.sleep(delay)
            parts.append(token)
        return fill_response(kwargs["model_response"], model, "".join(parts), prompt_tokens(messages))

    def streaming(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        return self._stream(self._start(model, messages, kwargs), prompt_tokens(messages))

    def astreaming(  # type: ignore[override]  # plain def: a scripted start error raises at the call
        self, model: str, messages: list, *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        return self._astream(self._start(model, messages, kwargs), prompt_tokens(messages))

    def _stream(self, reply: _Reply, prompt: int) -> Iterator[GenericStreamingChunk]:
        count = 0
        for delay, token in self._steps(reply):
            time.sleep(delay)
            count += len(token.split())
            yield text_chunk(token)
        yield final_chunk(prompt, count)

    async def _astream(self, reply: _Reply, prompt: int) -> AsyncIterator[GenericStreamingChunk]:
        count = 0
        for delay, token in self._steps(reply):
            await asyncio.sleep(delay)
            count += len(token.split())
            yield text_chunk(token)
        yield final_chunk(prompt, count)


def register_scripted(name: str = "scripted") -> ScriptedLLM:
    """A fresh ScriptedLLM serving ``<name>/<anything>`` (replaces any earlier one)."""
    llm = ScriptedLLM()
    register_provider(name, llm)
    return llm
