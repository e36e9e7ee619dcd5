"""Model faults over HTTP: whatever the model server does (429, 500, a hang, a dropped connection), every answering
route ends its answer with one ``final`` or ``error`` and keeps serving.

One ``docent serve`` talks to the fake model server through litellm's real HTTP path; its model name says
``bytext=1``, so each question picks its own fault (and its own ``run`` in the fake's log) with a ``[[…]]`` marker.
The core retries a transient failure (429, 5xx, timeout, connection) ``chat.retries`` times (1 here) before the
first token, never after it: text already shown would change.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.api.test_http_api import asked, events, recorded
from tests.e2e.conftest import clone_data

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]  # a stream that hangs fails the test, not the suite
QUESTION = "Who leads the Lyon lab?"
FIRST_TOKEN_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Fault:
    name: str
    script: str  # the fake model server's keys for this question
    code: str | None  # the answer's error code; None: a retry recovers and the answer completes
    statuses: tuple[int, ...]  # what the model server answered, request by request
    partial: int = 0  # tokens that reached the reader before the fault

    def question(self, run: str) -> str:
        return f"{QUESTION} [[{self.script};run={run}]]"


FAULTS = [
    Fault("429", "status=429;retry_after=1", "rate_limited", (429, 429)),
    Fault("500", "status=500", "provider_error", (500, 500)),
    Fault("500-once", "status=500;fail_times=1", None, (500, 200)),
    Fault("hang", "first_token_ms=60000", "timeout", (200, 200)),  # headers sent, then no token: timed out, retried
    Fault("drop", "tokens=20;disconnect_after=3", "connection", (200,), partial=3),  # after text: no retry
    Fault("reset", "tokens=20;disconnect_after=3;reset=1", "connection", (200,), partial=3),
]
IDS = [f.name for f in FAULTS]


@pytest.fixture(scope="module")
def faulty_api(tmp_path_factory: pytest.TempPathFactory, acme_data: Path, fake_llm) -> Iterator[ApiServer]:
    """The API answering through the fake model server, a fault per question, with a short first-token timeout."""
    from docent.devtools.fake_llm_server import fake_model
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("faulty-api") / "data")
    UserStore(f"sqlite:///{data / 'docent.db'}").add("mo", "password-mo", "member")
    env = {"DOCENT_CHAT__MODEL": fake_model(bytext=1, tokens=8, run="api-faults"), "DOCENT_CHAT__API_BASE":
           fake_llm.base_url, "DOCENT_CHAT__API_KEY": "fake", "DOCENT_CACHE__ANSWERS": "false",
           "DOCENT_CHAT__FIRST_TOKEN_TIMEOUT_S": str(FIRST_TOKEN_TIMEOUT_S)}
    with ApiServer(data, env=env, startup_timeout=180) as server:
        with client_of(server) as client:  # litellm's first call in a process is slow: pay it before the timings
            assert events(client, asked(client, QUESTION)["stream_url"])[-1][1] == "final"
        yield server


def client_of(server: ApiServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.key('mo')}"}, timeout=30,
                        trust_env=False)


@pytest.fixture
def client(faulty_api: ApiServer) -> Iterator[httpx.Client]:
    with client_of(faulty_api) as client:
        yield client


def settled(fake_llm, run: str, timeout_s: float = 10) -> list[dict]:
    """The model server's requests of ``run`` once each has ended: answered, failed, or closed by Docent."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = fake_llm.requests(run=run)
        if all(r["finished_at"] or r["disconnected_at"] for r in log):
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.05)


def assert_model_saw(fake_llm, run: str, fault: Fault) -> None:
    log = settled(fake_llm, run)
    assert tuple(r["status"] for r in log) == fault.statuses, log
    if fault.partial:
        assert [(r["aborted"], r["tokens_sent"]) for r in log] == [(True, fault.partial)]


def completion(fault: Fault, run: str, stream: bool) -> dict:
    return {"model": "docent", "stream": stream, "messages": [{"role": "user", "content": fault.question(run)}]}


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_the_event_stream_ends_with_one_terminal_event_and_the_answer_records_it(client, fake_llm, fault):
    run = uuid.uuid4().hex[:12]
    accepted = asked(client, fault.question(run))
    seen = events(client, accepted["stream_url"])  # returns once the server ends the stream
    kinds = [kind for _, kind, _ in seen]
    assert [k for k in kinds if k in ("final", "error")] == [kinds[-1]] == ["error" if fault.code else "final"], kinds
    last, message = seen[-1][2], recorded(client, accepted["message_id"])
    streamed = "".join(data["text"] for _, kind, data in seen if kind == "token")
    if fault.code:
        assert last["code"] == fault.code and last["message"] and last["text"] == streamed
        assert len(streamed.split()) == fault.partial
        assert (message["state"], message["error_code"], message["text"]) == ("failed", fault.code, streamed)
    else:
        assert (last["state"], message["state"], message["text"]) == ("completed", "completed", last["text"])
    assert_model_saw(fake_llm, run, fault)
    assert events(client, accepted["stream_url"])[-1][1:] == seen[-1][1:]  # read again: the same ending


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_an_openai_stream_ends_with_an_error_line_then_done(client, fake_llm, fault):
    run = uuid.uuid4().hex[:12]
    with client.stream("POST", "/v1/chat/completions", json=completion(fault, run, stream=True)) as response:
        assert response.status_code == 200
        lines = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]" and "[DONE]" not in lines[:-1], lines
    chunks = [json.loads(line) for line in lines[:-1]]
    errors = [c for c in chunks if "error" in c]
    stops = [c for c in chunks if c.get("choices") and c["choices"][0]["finish_reason"] == "stop"]
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    if fault.code:
        assert errors == [chunks[-1]] and not stops, chunks
        assert set(chunks[-1]["error"]) == {"code", "message"} and chunks[-1]["error"]["code"] == fault.code
        assert len(streamed.split()) == fault.partial
    else:
        assert stops == [chunks[-1]] and not errors, chunks
    assert_model_saw(fake_llm, run, fault)


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
def test_a_whole_openai_answer_is_a_502_with_the_code(client, fake_llm, fault):
    run = uuid.uuid4().hex[:12]
    response = client.post("/v1/chat/completions", json=completion(fault, run, stream=False))
    if fault.code:
        assert response.status_code == 502, response.text
        error = response.json()["error"]
        assert set(error) == {"code", "message"} and error["code"] == fault.code and error["message"]
    else:
        assert response.status_code == 200 and response.json()["choices"][0]["finish_reason"] == "stop"
    assert_model_saw(fake_llm, run, fault)


def test_the_server_keeps_answering_after_every_fault(client):
    assert events(client, asked(client, "What is the hotel cap in New York?")["stream_url"])[-1][1] == "final"
    response = client.post("/v1/chat/completions", json={"model": "docent", "messages": [{"role": "user",
                                                                                          "content": QUESTION}]})
    assert response.status_code == 200 and response.json()["choices"][0]["message"]["content"]
