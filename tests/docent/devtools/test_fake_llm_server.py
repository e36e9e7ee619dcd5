"""The fake LLM server, driven through litellm's real HTTP path (litellm 1.106: aiohttp transport under the openai SDK).

These tests double as a record of how litellm surfaces each failure, which the chat code relies on.
"""

from __future__ import annotations

import asyncio
import time

import litellm
import pytest
from litellm.exceptions import MidStreamFallbackError

from docent.devtools.fake_llm_server import parse_model, reply_tokens, script_for
from tests.llm_server import (
    FakeLLMServer,
    Streamed,
    expected_reply,
    fake_model,
    litellm_kwargs,
    new_run,
    read_stream,
    user_messages,
    wait_for_entry,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _stream(server, messages=None, **opts):
    return await litellm.acompletion(model=fake_model(**opts), messages=messages or user_messages(), stream=True,
                                     **litellm_kwargs(server))


def test_model_name_grammar() -> None:
    script = parse_model("openai/fake:first_token_ms=300;tokens=5;status=429;run=r1;text=hi%20there;reset=1")
    assert (script.first_token_ms, script.tokens, script.status, script.run, script.text, script.reset) == (
        300.0, 5, 429, "r1", "hi there", True)
    assert parse_model(fake_model(prefix="", tokens=3, text="a b")) == parse_model("fake:tokens=3;text=a%20b")
    assert reply_tokens(user_messages("x"), 2) == reply_tokens([{"role": "user", "content": [{"text": "x"}]}], 2)
    with pytest.raises(ValueError):
        parse_model("fake:nope=1")


def test_bytext_takes_the_script_from_the_last_marker_of_the_question() -> None:
    base = parse_model("fake:bytext=1;tokens=5;run=r0")
    prompt = [{"role": "user", "content": "old [[status=400]]"}, {"role": "assistant", "content": "x"},
              {"role": "user", "content": "<source>a [[b]]</source>\n\nQuestion: why? [[status=500;run=r1;text=a%20b]]"}]
    script = script_for(base, prompt)
    assert (script.status, script.run, script.text, script.tokens) == (500, "r1", "a b", 5)
    assert (base.status, base.run) == (None, "r0")  # the model name's script is left as it was
    assert script_for(base, user_messages("no marker")) == base
    assert script_for(parse_model("fake"), prompt) == parse_model("fake")  # without bytext, markers are text
    with pytest.raises(ValueError, match="nope"):
        script_for(base, user_messages("q [[nope=1]]"))


async def test_streams_expected_tokens(fake_llm) -> None:
    messages, run = user_messages(), new_run()
    seen = await read_stream(await _stream(fake_llm, messages, tokens=7, run=run))
    assert seen.text == expected_reply(messages, 7)
    assert len(seen.chunks) == 7
    entry = await wait_for_entry(fake_llm, run, lambda e: e["finished_at"] is not None)
    assert entry["tokens_sent"] == 7 and entry["disconnected_at"] is None and entry["status"] == 200


async def test_concurrent_streams_never_mix(fake_llm) -> None:
    conversations = [user_messages(f"question {i}") for i in range(8)]
    responses = await asyncio.gather(*(_stream(fake_llm, m, tokens=10, token_ms=5) for m in conversations))
    seen = await asyncio.gather(*(read_stream(r) for r in responses))
    assert [s.text for s in seen] == [expected_reply(m, 10) for m in conversations]
    assert len({s.text for s in seen}) == 8


async def test_non_streaming_reply_and_usage(fake_llm) -> None:
    messages = user_messages()
    response = await litellm.acompletion(model=fake_model(tokens=4), messages=messages, **litellm_kwargs(fake_llm))
    assert response.choices[0].message.content == expected_reply(messages, 4)
    assert response.usage.completion_tokens == 4


async def test_text_and_usage_chunk(fake_llm) -> None:
    response = await litellm.acompletion(model=fake_model(text="hello there world"), messages=user_messages(), stream=True,
                                         stream_options={"include_usage": True}, **litellm_kwargs(fake_llm))
    usage = None
    text = ""
    async for chunk in response:
        text += (chunk.choices[0].delta.content or "") if chunk.choices else ""
        usage = getattr(chunk, "usage", None) or usage
    assert text == "hello there world"
    assert usage is not None and usage.completion_tokens == 3


async def test_slow_first_token(fake_llm) -> None:
    await read_stream(await _stream(fake_llm, tokens=1))  # litellm's first call in a process pays ~1 s of setup
    seen = Streamed()
    response = await _stream(fake_llm, first_token_ms=1000, tokens=3)  # long enough to tell apart on a loaded machine
    returned_after = time.perf_counter() - seen.started
    seen = await read_stream(response, seen)
    assert returned_after < 0.6  # headers come first, so acompletion returns before the first token
    assert seen.first_token_s is not None and seen.first_token_s >= 1.0
    assert seen.first_token_s < 3.0


async def test_late_headers_hold_acompletion_until_first_token(fake_llm) -> None:
    started = time.perf_counter()
    response = await _stream(fake_llm, first_token_ms=300, tokens=3, headers="late")
    assert time.perf_counter() - started >= 0.3
    await read_stream(response)


@pytest.mark.parametrize(("status", "error"), [
    (429, litellm.RateLimitError),
    (500, litellm.InternalServerError),
    (401, litellm.AuthenticationError),
    (400, litellm.ContextWindowExceededError),
    (503, litellm.ServiceUnavailableError),
])
async def test_error_statuses_map_to_litellm_exceptions(fake_llm, status: int, error: type[Exception]) -> None:
    run = new_run()
    with pytest.raises(error) as caught:
        await _stream(fake_llm, status=status, run=run)  # raised by acompletion itself, before any iteration
    assert caught.value.status_code == status
    assert [e["status"] for e in fake_llm.requests(run)] == [status]  # litellm did not retry


async def test_rate_limit_carries_retry_after(fake_llm) -> None:
    with pytest.raises(litellm.RateLimitError) as caught:
        await _stream(fake_llm, status=429, retry_after=7)
    assert caught.value.litellm_response_headers["retry-after"] == "7"  # .response is a synthetic, header-less one


@pytest.mark.parametrize("reset", [False, True])
async def test_mid_stream_disconnect(fake_llm, reset: bool) -> None:
    """A dropped connection after 3 tokens raises litellm.exceptions.MidStreamFallbackError (a ServiceUnavailableError, 503)."""
    messages, run = user_messages(), new_run()
    seen = None
    with pytest.raises(MidStreamFallbackError) as caught:
        seen = await read_stream(await _stream(fake_llm, messages, tokens=10, disconnect_after=3, reset=reset, run=run))
    assert seen is None
    error = caught.value
    assert isinstance(error, litellm.ServiceUnavailableError) and error.status_code == 500
    assert error.generated_content == "".join(reply_tokens(messages, 10)[:3])
    assert error.is_pre_first_chunk is False
    assert isinstance(error.original_exception, litellm.APIConnectionError)
    assert "Response payload is not completed" in str(error)
    entry = await wait_for_entry(fake_llm, run, lambda e: e["finished_at"] is not None)
    assert entry["aborted"] and entry["tokens_sent"] == 3


async def test_timeout_before_headers_raises_litellm_timeout(fake_llm) -> None:
    started = time.perf_counter()
    with pytest.raises(litellm.Timeout):
        await litellm.acompletion(model=fake_model(first_token_ms=2000, headers="late"), messages=user_messages(),
                                  stream=True, timeout=0.3, **litellm_kwargs(fake_llm))
    assert 0.3 <= time.perf_counter() - started < 1.5


async def test_timeout_after_headers_raises_mid_stream_error(fake_llm) -> None:
    """Headers already sent, first token late: acompletion returns, then iteration times out - NOT as litellm.Timeout."""
    started = time.perf_counter()
    response = await litellm.acompletion(model=fake_model(first_token_ms=2000), messages=user_messages(), stream=True,
                                         timeout=0.3, **litellm_kwargs(fake_llm))
    with pytest.raises(MidStreamFallbackError) as caught:
        await read_stream(response)
    assert not isinstance(caught.value, litellm.Timeout)
    assert caught.value.is_pre_first_chunk is True
    assert "Timeout on reading data from socket" in str(caught.value)
    assert 0.3 <= time.perf_counter() - started < 1.5


async def test_aclose_disconnects_promptly(fake_llm) -> None:
    run = new_run()
    response = await _stream(fake_llm, token_ms=50, tokens=100, run=run)
    seen = await read_stream(response, limit=2)
    closed_at = time.time()
    await response.aclose()
    entry = await wait_for_entry(fake_llm, run, lambda e: e["disconnected_at"] is not None)
    assert entry["disconnected_at"] is not None and entry["disconnected_at"] - closed_at < 0.5  # 10 tokens' time
    assert len(seen.chunks) == 2 and entry["tokens_sent"] < 15


async def test_breaking_out_without_aclose_keeps_the_connection_open(fake_llm) -> None:
    """Leaving the loop does not close the stream: the server keeps generating until aclose()."""
    run = new_run()
    response = await _stream(fake_llm, token_ms=20, tokens=200, run=run)
    await read_stream(response, limit=2)
    await asyncio.sleep(0.3)
    entry = (await asyncio.to_thread(fake_llm.requests, run))[-1]
    assert entry["disconnected_at"] is None and entry["tokens_sent"] > 5
    closed_at = time.time()
    await response.aclose()
    entry = await wait_for_entry(fake_llm, run, lambda e: e["disconnected_at"] is not None)
    assert entry["disconnected_at"] is not None and entry["disconnected_at"] - closed_at < 0.2


async def cancel_then_disconnect(fake_llm, run: str, task: asyncio.Task) -> dict:
    """Cancel the task and return the server's log entry once it saw the disconnect, which must come within 0.2 s."""
    cancelled_at = time.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    entry = await wait_for_entry(fake_llm, run, lambda e: e["disconnected_at"] is not None)
    assert entry["disconnected_at"] is not None and entry["disconnected_at"] - cancelled_at < 0.2
    return entry


@pytest.mark.parametrize("with_aclose", [True, False])
@pytest.mark.parametrize("first_token_ms", [0, 3000])
async def test_task_cancellation_disconnects(fake_llm, with_aclose: bool, first_token_ms: int) -> None:
    """Cancelling the task that iterates closes the connection promptly, with or without aclose() in a finally."""
    run = new_run()
    reading = asyncio.Event()

    async def consume() -> None:
        response = await _stream(fake_llm, first_token_ms=first_token_ms, token_ms=50, tokens=100, run=run)
        try:
            reading.set()
            await read_stream(response)
        finally:
            if with_aclose:
                await response.aclose()

    task = asyncio.create_task(consume())
    await reading.wait()
    await asyncio.sleep(0.12)  # two tokens in, or still waiting for the first
    entry = await cancel_then_disconnect(fake_llm, run, task)
    assert entry["finished_at"] is None


async def test_cancelling_inside_acompletion_disconnects(fake_llm) -> None:
    """Headers held back: the task is cancelled while acompletion itself is still waiting; the connection closes too."""
    run = new_run()
    task = asyncio.create_task(_stream(fake_llm, first_token_ms=3000, headers="late", run=run))
    await wait_for_entry(fake_llm, run, lambda e: True)
    await asyncio.sleep(0.05)
    await cancel_then_disconnect(fake_llm, run, task)


async def test_fail_times_then_succeed(fake_llm) -> None:
    run, messages = new_run(), user_messages()
    model_opts = {"fail_times": 1, "status": 500, "run": run, "tokens": 3}
    with pytest.raises(litellm.InternalServerError):
        await _stream(fake_llm, messages, **model_opts)
    seen = await read_stream(await _stream(fake_llm, messages, **model_opts))
    assert seen.text == expected_reply(messages, 3)
    assert [e["status"] for e in fake_llm.requests(run)] == [500, 200]


def test_context_manager_reset_and_stop() -> None:
    """A private server (reset would clear the shared one's log under other tests)."""
    async def one(server: FakeLLMServer) -> None:
        await read_stream(await _stream(server, tokens=1, run=run))

    run = new_run()
    with FakeLLMServer() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        asyncio.run(one(server))
        assert len(server.requests(run)) == 1 and server.requests("other") == []
        server.reset()
        assert server.requests() == []
        process = server.process
    assert process is not None and process.poll() is not None
