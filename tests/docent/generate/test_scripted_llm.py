"""The scripted test double, driven through litellm's real routing, streaming wrapper and error mapping."""

from __future__ import annotations

import asyncio
import time

import litellm
import pytest

from docent.devtools.scripted_llm import DEFAULT_REPLY, register_scripted

MESSAGES = [{"role": "user", "content": "Say something."}]


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setattr(litellm, "suppress_debug_info", True)  # no "Give Feedback" banners on expected errors
    return register_scripted()


async def _stream(**kwargs) -> tuple[list[str], object]:
    """(content deltas, usage of the last chunk that had one)."""
    response = await litellm.acompletion(model="scripted/x", messages=MESSAGES, stream=True, **kwargs)
    deltas, usage = [], None
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            deltas.append(chunk.choices[0].delta.content)
        usage = getattr(chunk, "usage", None) or usage
    return deltas, usage


def test_replies_are_served_first_in_first_out_then_the_default(scripted):
    scripted.enqueue("first reply")
    scripted.enqueue(["sec", "ond"])

    async def run():
        return [(await litellm.acompletion(model="scripted/x", messages=MESSAGES)).choices[0].message.content
                for _ in range(3)]

    assert asyncio.run(run()) == ["first reply", "second", DEFAULT_REPLY]


def test_streams_the_scripted_tokens_with_usage(scripted):
    scripted.enqueue(["a ", "b ", "c"])
    deltas, usage = asyncio.run(_stream(stream_options={"include_usage": True}))
    assert deltas == ["a ", "b ", "c"]
    assert usage.completion_tokens == 3 and usage.prompt_tokens == 2


def test_sync_completion_and_streaming(scripted):
    scripted.enqueue("hello there")
    scripted.enqueue("one two")
    assert litellm.completion(model="scripted/x", messages=MESSAGES).choices[0].message.content == "hello there"
    chunks = litellm.completion(model="scripted/x", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two"


def test_an_error_before_the_first_token_is_raised_by_the_call(scripted):
    scripted.enqueue(litellm.RateLimitError("slow down", llm_provider="scripted", model="x"))
    scripted.enqueue(ValueError("refused"))
    with pytest.raises(litellm.RateLimitError):
        asyncio.run(_stream())
    with pytest.raises(litellm.APIConnectionError, match="refused"):  # litellm maps unknown errors
        asyncio.run(litellm.acompletion(model="scripted/x", messages=MESSAGES))


def test_an_error_after_k_tokens_arrives_mid_stream(scripted):
    scripted.enqueue(["a ", "b ", "c "], fail_after=1, error=ValueError("cut off"))
    deltas: list[str] = []

    async def run():
        response = await litellm.acompletion(model="scripted/x", messages=MESSAGES, stream=True)
        async for chunk in response:
            deltas.append(chunk.choices[0].delta.content or "")

    with pytest.raises(litellm.exceptions.MidStreamFallbackError, match="cut off"):
        asyncio.run(run())
    assert "".join(deltas) == "a "
    with pytest.raises(ValueError):
        scripted.enqueue(["a"], fail_after=1)


def test_calls_are_recorded_with_the_prompt_and_parameters(scripted):
    scripted.enqueue("ok")
    scripted.enqueue(RuntimeError("down"))
    asyncio.run(litellm.acompletion(model="scripted/anything", messages=MESSAGES, temperature=0.2, max_tokens=7))
    with pytest.raises(litellm.APIConnectionError):
        litellm.completion(model="scripted/x", messages=MESSAGES)
    first, second = scripted.calls
    assert first["model"] == "anything" and first["messages"] == MESSAGES
    assert first["optional_params"]["temperature"] == 0.2 and first["optional_params"]["max_tokens"] == 7
    assert second["model"] == "x"


def test_delays_are_honoured(scripted):
    scripted.enqueue(["a ", "b"], first_token_s=0.2, token_s=0.1)
    start = time.perf_counter()
    deltas, _ = asyncio.run(_stream())
    assert deltas == ["a ", "b"] and time.perf_counter() - start >= 0.3
