"""The chat over litellm's real HTTP path, against the local fake OpenAI-compatible server."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from docent.chat.events import ErrorEvent, FinalEvent, TokenEvent
from docent.devtools.fake_llm_server import fake_model
from docent.store.chat import ChatStore
from tests.docent.chat.conftest import collect
from tests.principals import ASKER

pytestmark = pytest.mark.slow


@pytest.fixture
def http_service(make_service, fake_llm):
    def make(retries: int = 1, fallbacks: list[str] | None = None, **script):
        run = uuid.uuid4().hex[:8]
        model = fake_model(run=run, **script)
        service = make_service(model=model, api_base=fake_llm.base_url, api_key="fake", retries=retries, fallbacks=fallbacks or [])
        return service, run

    return make


def test_tokens_arrive_in_order_and_the_trace_has_usage(http_service, fake_llm):
    service, run = http_service(tokens=12)
    message_id, events = collect(service, "What is the hotel cap in New York?")
    tokens = [e.text for e in events if isinstance(e, TokenEvent)]
    assert len(tokens) == 12 and events[-1].state == "completed"
    assert service.finalizer.flush(30)
    (trace,) = service.store.traces_for(message_id)
    assert trace["prompt_tokens"] and trace["completion_tokens"] == 12
    (request,) = fake_llm.requests(run=run)
    assert request["tokens_sent"] == 12


def test_cancel_closes_the_provider_connection_and_keeps_the_partial_text(http_service, fake_llm):
    service, run = http_service(tokens=400, token_ms=20)
    cancelled_at = {}

    def on_event(event, message_id):
        if isinstance(event, TokenEvent) and "t" not in cancelled_at and event.text.startswith("w3-"):
            cancelled_at["t"] = time.time()  # cancel from another thread, as a UI button would
            threading.Thread(target=service.cancel, args=(ASKER, message_id)).start()

    message_id, events = collect(service, "What is the hotel cap in New York?", on_event=on_event)
    final = events[-1]
    assert isinstance(final, FinalEvent) and final.state == "cancelled" and final.text.startswith("w0-")
    deadline = time.time() + 2
    while time.time() < deadline and not fake_llm.requests(run=run)[0]["disconnected_at"]:
        time.sleep(0.02)
    request = fake_llm.requests(run=run)[0]
    assert request["disconnected_at"], request
    assert request["disconnected_at"] - cancelled_at["t"] < 0.5  # 25 tokens' time: slack for a loaded machine
    assert request["tokens_sent"] < 100
    assert service.finalizer.flush(30)
    record = service.store.get_message(message_id)
    assert record.state == "cancelled" and record.content == final.text


def test_a_cancel_sent_to_another_process_stops_the_answer_there(make_service, fake_llm, tmp_path):
    """Two services on one store stand for two API workers: the cancel reaches the one that does not stream."""
    run, store = uuid.uuid4().hex[:8], ChatStore(f"sqlite:///{tmp_path / 'shared.db'}")
    streaming, other = (make_service(store=store, model=fake_model(run=run, tokens=400, token_ms=20),
                                     api_base=fake_llm.base_url, api_key="fake") for _ in range(2))
    asked: dict = {}

    def cancel_elsewhere(message_id: str) -> None:
        deadline = time.time() + 10  # the streaming state is written in the background: wait for that event
        while store.get_message(message_id).state != "streaming" and time.time() < deadline:
            time.sleep(0.01)
        asked.update(at=time.time(), accepted=other.cancel(ASKER, message_id))

    def on_event(event, message_id):
        if isinstance(event, TokenEvent) and "thread" not in asked and event.text.startswith("w3-"):
            asked["thread"] = threading.Thread(target=cancel_elsewhere, args=(message_id,))
            asked["thread"].start()

    message_id, events = collect(streaming, "What is the hotel cap in New York?", on_event=on_event)
    asked["thread"].join()
    final = events[-1]
    assert asked["accepted"] is True and isinstance(final, FinalEvent) and final.state == "cancelled"
    request = fake_llm.requests(run=run)[0]
    assert request["tokens_sent"] < 250  # stopped at a checkpoint (every second), not after all 400 tokens
    assert streaming.finalizer.flush(30)
    record = store.get_message(message_id)
    assert record.state == "cancelled" and record.content == final.text and record.cancel_requested_at is not None


def test_a_rate_limited_call_is_retried_when_the_provider_says(http_service, fake_llm):
    service, run = http_service(status=429, retry_after="1.5", fail_times=1, tokens=5)
    _, events = collect(service, "Who leads the Lyon lab?")
    assert events[-1].state == "completed"
    refused, served = fake_llm.requests(run=run)
    assert (refused["status"], served["status"]) == (429, 200)
    assert served["started_at"] - refused["started_at"] >= 1.5  # its Retry-After, not the 0.25 s backoff


def test_a_transient_error_before_the_first_token_is_retried(http_service, fake_llm):
    service, run = http_service(status=500, fail_times=1, tokens=5)
    message_id, events = collect(service, "Who leads the Lyon lab?")
    assert events[-1].state == "completed"
    assert [r["status"] for r in fake_llm.requests(run=run)] == [500, 200]
    assert service.finalizer.flush(30)
    (trace,) = service.store.traces_for(message_id)
    assert [a["code"] for a in trace["parameters"]["attempts"]] == ["provider_error"]


@pytest.mark.parametrize(
    "script, code, words",
    [
        ({"status": 429}, "rate_limited", "rate-limiting"),
        ({"status": 500}, "provider_error", "internal error"),
        ({"status": 401}, "auth", "API key"),
        ({"status": 400, "text": "context_length_exceeded"}, "context_too_long", "too long"),
        ({"first_token_ms": 3000}, "timeout", "too long to answer"),
    ],
)
def test_provider_errors_become_clear_messages(http_service, make_service, script, code, words):
    service, _ = http_service(retries=0, **script)
    service.settings.chat.first_token_timeout_s = 0.5
    message_id, events = collect(service, "Who leads the Lyon lab?")
    error = events[-1]
    assert isinstance(error, ErrorEvent) and error.code == code, error
    assert words in error.message
    assert service.finalizer.flush(30)
    assert service.store.get_message(message_id).error_code == code


def test_fallback_model_answers_when_the_main_one_fails(http_service, fake_llm):
    backup_run = uuid.uuid4().hex[:8]
    service, run = http_service(retries=0, status=429, fallbacks=[fake_model(run=backup_run, tokens=4)])
    message_id, events = collect(service, "Who leads the Lyon lab?")
    assert events[-1].state == "completed"
    assert len(fake_llm.requests(run=run)) == 1 and len(fake_llm.requests(run=backup_run)) == 1
    assert service.finalizer.flush(30)
    assert service.store.traces_for(message_id)[0]["model"].endswith(f"run={backup_run};tokens=4")


def test_a_mid_stream_disconnect_fails_with_the_partial_text_and_is_not_retried(http_service, fake_llm):
    service, run = http_service(tokens=50, disconnect_after=5)
    message_id, events = collect(service, "Who leads the Lyon lab?")
    error = events[-1]
    assert isinstance(error, ErrorEvent), error
    assert error.text.count("-") == 5
    assert len(fake_llm.requests(run=run)) == 1  # text had reached the user: no retry
    assert service.finalizer.flush(30)
    record = service.store.get_message(message_id)
    assert record.state == "failed" and record.content == error.text
