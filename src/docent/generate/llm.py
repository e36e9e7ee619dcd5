"""The model call: ``litellm.acompletion(stream=True)`` with the policy a chat needs.

Retries and fallbacks happen only *before* the first token: once text has reached the user,
repeating the call would show them a different answer, so a mid-stream failure ends the answer
as ``failed`` with its partial text instead. :func:`open_stream` returns once the first token
has arrived (or every model has failed); :class:`ModelStream` relays the rest and can be closed,
which closes the HTTP connection to the provider.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import litellm

from docent.generate.errors import TRANSIENT, ProviderError, map_error
from docent.settings import ChatSettings

log = logging.getLogger("docent.llm")
litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout: errors reach users as ProviderError

BACKOFF_S = 0.25
MAX_RETRY_WAIT_S = 5.0  # a longer Retry-After is not worth a person's wait: the next model, or the error, instead


@dataclass
class Attempt:
    model: str
    code: str
    detail: str
    seconds: float


@dataclass
class LLMCall:
    """What a trace records of one call, filled in as the stream goes."""

    model: str
    parameters: dict
    prompt_hash: str
    started: float
    first_token_at: float | None = None
    ended_at: float | None = None
    usage: dict = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ttft_ms(self) -> float | None:
        return None if self.first_token_at is None else (self.first_token_at - self.started) * 1000

    def cost(self) -> float | None:
        """Price of the call from litellm's price table; None for models it does not know."""
        if not self.usage:
            return None
        if self.model.startswith(("local/", "scripted/")):
            return 0.0
        try:
            prompt, completion = litellm.cost_per_token(
                model=self.model,
                prompt_tokens=int(self.usage.get("prompt_tokens") or 0),
                completion_tokens=int(self.usage.get("completion_tokens") or 0),
            )
            return float(prompt + completion)
        except Exception:  # unknown model or provider: no price rather than a wrong one
            return None


def prompt_hash(messages: list[dict]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


class ModelStream:
    """Text deltas of an answer whose first token has already arrived."""

    def __init__(self, response, first: str, call: LLMCall, idle_timeout_s: float):
        self._response = response
        self._first = first
        self.call = call
        self._idle = idle_timeout_s

    async def __aiter__(self) -> AsyncIterator[str]:
        if self._first:
            yield self._first
        while True:
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that races a chunk
                async with asyncio.timeout(self._idle):
                    chunk = await anext(self._response)
            except StopAsyncIteration:
                break
            except Exception as exc:
                raise map_error(exc, self.call.model) from exc
            text = _absorb(chunk, self.call)
            if text:
                yield text
        self.call.ended_at = time.perf_counter()

    async def aclose(self) -> None:
        """Close the provider connection (shielded: cancellation must not skip the close)."""
        await asyncio.shield(_close(self._response))


async def open_stream(messages: list[dict], settings: ChatSettings, model: str | None = None) -> ModelStream:
    """Call ``model`` (default: the configured one), then its fallbacks, until a first token arrives."""
    models = [model or settings.model, *settings.fallbacks]
    parameters = {"temperature": settings.temperature, "max_tokens": settings.max_tokens}
    call = LLMCall(models[0], parameters, prompt_hash(messages), time.perf_counter())
    last: ProviderError | None = None
    for i, name in enumerate(models):
        for attempt in range(settings.retries + 1):
            began = time.perf_counter()
            try:
                response, first = await _first_token(name, messages, settings, parameters, _provider(name) == _provider(models[0]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                last = map_error(exc, name)
                call.attempts.append(Attempt(name, last.code, last.detail, time.perf_counter() - began))
                log.warning("model %s failed before its first token (%s): %s", name, last.code, last.detail)
                if last.code not in TRANSIENT:
                    break
                if attempt < settings.retries:  # as long as the provider asks (Retry-After), within reason
                    wait = max(BACKOFF_S * 2**attempt, last.retry_after_s or 0.0)
                    await asyncio.sleep(min(wait, MAX_RETRY_WAIT_S))
                continue
            call.model = name
            call.first_token_at = time.perf_counter()
            text = _absorb(first, call) if first is not None else ""
            if first is None:
                call.ended_at = call.first_token_at
            return ModelStream(response, text, call, settings.timeout_s)
    assert last is not None
    last.attempts = call.attempts  # type: ignore[attr-defined]
    raise last


async def _first_token(name: str, messages: list[dict], settings: ChatSettings, parameters: dict, same_endpoint: bool):
    """Start the call; return it with its first non-empty chunk (None when the answer is empty)."""
    kwargs = dict(parameters, timeout=settings.timeout_s, num_retries=0, max_retries=0)
    if same_endpoint:
        if settings.api_base:
            kwargs["api_base"] = settings.api_base
        if settings.api_key:
            key = settings.api_key
            kwargs["api_key"] = key.get_secret_value() if hasattr(key, "get_secret_value") else str(key)
    response = None
    try:
        async with asyncio.timeout(settings.first_token_timeout_s):
            response = await litellm.acompletion(
                model=name, messages=messages, stream=True, stream_options={"include_usage": True}, **kwargs
            )
            async for chunk in response:
                if _delta(chunk):
                    return response, chunk
            return response, None
    except BaseException:
        if response is not None:
            await asyncio.shield(_close(response))
        raise


def _provider(model: str) -> str:
    """``openai`` for ``openai/gpt-4o``: ``chat.api_base`` serves every model of the main model's provider."""
    return model.split("/", 1)[0] if "/" in model else ""


def _delta(chunk) -> str:
    choices = getattr(chunk, "choices", None) or []
    return (choices[0].delta.content or "") if choices and choices[0].delta else ""


def _absorb(chunk, call: LLMCall) -> str:
    usage = getattr(chunk, "usage", None)
    if usage:
        call.usage = {k: getattr(usage, k, None) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return _delta(chunk)


async def _close(response) -> None:
    try:
        await response.aclose()
    except Exception as exc:  # closing a broken stream may fail; the connection is gone either way
        log.debug("closing the model stream failed: %s", exc)
