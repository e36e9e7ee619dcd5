"""API tests: ``docent serve`` as a real uvicorn process over samples/acme, called over HTTP with API keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import AppServer, clone_data


@dataclass
class ApiServer(AppServer):
    """``docent serve`` on a free loopback port (the browser tests' server harness, another command)."""

    health_path = "/health"  # answers once the workspace is open (the lifespan has run)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "docent.cli", "serve", "--port", str(self.port)]

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, trust_env=False)

    def key(self, username: str) -> str:
        """A new API key for ``username`` (made by the user themselves, through the core)."""
        from docent.review.api_keys import ApiKeys
        from docent.review.users import UserStore

        user = UserStore(self.state_url).get(username)
        return ApiKeys(self.state_url).create(user, user, "test")


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Iterator[ApiServer]:
    """The API with the local extractive model over samples/acme; users alice (reviewer), ann (analyst), root
    (admin), and mo and bo (members)."""
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("api") / "data")
    for member in ("mo", "bo"):
        UserStore(f"sqlite:///{data / 'docent.db'}").add(member, f"password-{member}", "member")
    with ApiServer(data, startup_timeout=180) as server:
        yield server


@pytest.fixture(scope="session")
def slow_api(tmp_path_factory: pytest.TempPathFactory, acme_data: Path, fake_llm) -> Iterator[ApiServer]:
    """The API answering through the fake model server slowly (300 tokens, 20 ms apart), with a 1 s grace and
    finished answers read back from the store at once (api.replay_s 0)."""
    from docent.devtools.fake_llm_server import fake_model
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("slow-api") / "data")
    UserStore(f"sqlite:///{data / 'docent.db'}").add("mo", "password-mo", "member")
    env = {"DOCENT_CHAT__MODEL": fake_model(tokens=300, token_ms=20, run="api-slow"), "DOCENT_CHAT__API_BASE":
           fake_llm.base_url, "DOCENT_CHAT__API_KEY": "fake", "DOCENT_CACHE__ANSWERS": "false",
           "DOCENT_API__DISCONNECT_GRACE_S": "1", "DOCENT_API__REPLAY_S": "0"}
    with ApiServer(data, env=env, startup_timeout=180) as server:
        yield server
