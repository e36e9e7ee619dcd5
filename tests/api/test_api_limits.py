"""Rate limits, body size and CORS, on two real API processes that share one Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ApiServer
from tests.e2e.conftest import clone_data

pytestmark = pytest.mark.slow
ORIGIN = "https://intranet.example"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Iterator[tuple[ApiServer, ApiServer]]:
    """Two API processes over one data directory, counting questions in one Redis: 3 a minute each principal,
    bodies up to 10 kB, one allowed web origin."""
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("limited-api") / "data")
    UserStore(f"sqlite:///{data / 'docent.db'}").add("mo", "password-mo", "member")
    env = {"DOCENT_API__RATE_LIMIT": "3/minute", "DOCENT_API__MAX_BODY_MB": "0.01",
           "DOCENT_API__CORS_ORIGINS": f'["{ORIGIN}"]', "DOCENT_CACHE__REDIS_URL": "redis://127.0.0.1:6379/0"}
    with ApiServer(data, env=env, startup_timeout=180) as one, ApiServer(data, env=env, startup_timeout=180) as two:
        yield one, two


def test_questions_past_the_rate_are_refused_with_retry_after_across_both_processes(pair):
    one, two = pair
    key, other = one.key("mo"), one.key("alice")
    ask = {"question": "How long is parental leave?"}
    codes = [one.client(key).post("/v1/messages", json=ask).status_code, two.client(key).post("/v1/messages", json=ask).status_code,
             two.client(key).post("/v1/chat/completions", json={"model": "docent", "messages": [
                 {"role": "user", "content": "How long is parental leave?"}]}).status_code]
    assert codes == [202, 202, 200]  # three questions, on two processes, through both asking routes
    refused = one.client(key).post("/v1/messages", json=ask)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60 and "api.rate_limit" in refused.json()["error"]["message"]
    assert two.client(key).get("/v1/search", params={"q": "leave"}).status_code == 200  # reading is not charged
    assert two.client(other).post("/v1/messages", json=ask).status_code == 202  # another principal has their own count


def test_a_body_over_the_limit_is_refused_before_it_is_read(pair):
    one, _ = pair
    client = one.client(one.key("mo"))
    declared = client.post("/v1/messages", json={"question": "x" * 20_000})
    assert declared.status_code == 413 and "api.max_body_mb" in declared.json()["error"]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        yield b'{"question": "'
        for _ in range(40):
            yield b"y" * 1000
        yield b'"}'

    streamed = client.post("/v1/messages", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "too_large"


def test_cors_allows_the_configured_origin_only(pair):
    one, _ = pair
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    allowed = httpx.options(one.url + "/v1/messages", headers={"Origin": ORIGIN, **preflight}, trust_env=False)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    other = httpx.options(one.url + "/v1/messages", headers={"Origin": f"https://{uuid.uuid4().hex}.example",
                                                             **preflight}, trust_env=False)
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
