"""API tests: ``docent serve`` as a real uvicorn process over samples/acme, called over HTTP with API keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.conftest import AppServer, prepare_data


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
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API with the local extractive model over samples/acme; users alice (reviewer), ann (analyst), root
    (admin), and mo and bo (members)."""
    from docent.review.users import UserStore

    data = prepare_data(tmp_path_factory.mktemp("api"))
    for member in ("mo", "bo"):
        UserStore(f"sqlite:///{data / 'docent.db'}").add(member, f"password-{member}", "member")
    with ApiServer(data, startup_timeout=180) as server:
        yield server
