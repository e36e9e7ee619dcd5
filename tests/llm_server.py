"""Helpers for tests that drive litellm against the fake LLM server (the `fake_llm` fixture in conftest)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docent.devtools.fake_llm_server import FakeLLMServer, expected_reply, fake_model

__all__ = ["FakeLLMServer", "Streamed", "expected_reply", "fake_model", "litellm_kwargs", "new_run", "read_stream",
           "user_messages", "wait_for_entry"]


def new_run() -> str:
    """A run id unique to one test, so its requests can be picked out of the shared server's log."""
    return uuid.uuid4().hex[:12]


def user_messages(text: str | None = None) -> list[dict[str, str]]:
    """One user message; unique by default so the reply's tag is unique too."""
    return [{"role": "user", "content": text if text is not None else f"question {uuid.uuid4().hex}"}]


def litellm_kwargs(server: FakeLLMServer, **extra: Any) -> dict[str, Any]:
    """The litellm.acompletion arguments that reach the fake server, with litellm's own retries off."""
    return {"api_base": server.base_url, "api_key": "fake", "num_retries": 0, "max_retries": 0, **extra}


@dataclass
class Streamed:
    """What a consumer saw: the text, the content chunks, and when the first content arrived."""

    text: str = ""
    chunks: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    first_token_s: float | None = None


async def read_stream(response: Any, seen: Streamed | None = None, limit: int | None = None) -> Streamed:
    """Iterate a litellm stream, recording content; stop (without closing) after `limit` content chunks."""
    seen = seen or Streamed()
    async for chunk in response:
        content = chunk.choices[0].delta.content if chunk.choices else None
        if not content:
            continue
        if seen.first_token_s is None:
            seen.first_token_s = time.perf_counter() - seen.started
        seen.chunks.append(content)
        seen.text += content
        if limit is not None and len(seen.chunks) >= limit:
            break
    return seen


async def wait_for_entry(server: FakeLLMServer, run: str, until: Callable[[dict[str, Any]], bool],
                         timeout: float = 2.0) -> dict[str, Any]:
    """Poll the server's log until the run's last request satisfies `until` (or time out and return it anyway)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = await asyncio.to_thread(server.requests, run)
        if entries and (until(entries[-1]) or time.monotonic() > deadline):
            return entries[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no request logged for run {run!r}")
        await asyncio.sleep(0.01)
