"""API tests: ``docent serve`` as a real uvicorn process over samples/acme, called over HTTP with API keys."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import BASE_ENV, REPO, free_port, prepare_data


@dataclass
class ApiServer:
    data_dir: Path
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'docent.db'}"

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
    """The API on a free loopback port, with the local extractive model; alice (reviewer), ann, root and mo, bo
    (members) as users."""
    from docent.review.users import UserStore

    data = prepare_data(tmp_path_factory.mktemp("api"))
    for member in ("mo", "bo"):
        UserStore(f"sqlite:///{data / 'docent.db'}").add(member, f"password-{member}", "member")
    port, log_path = free_port(), data.parent / "api.log"
    env = {**os.environ, **BASE_ENV, "DOCENT_DATA_DIR": str(data)}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "docent.cli", "serve", "--port", str(port)], cwd=REPO,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    server = ApiServer(data, port, process, log_path)
    deadline = time.monotonic() + 180
    while True:  # the health route answers once the workspace is open (lifespan done)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the API did not start:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2, trust_env=False).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    yield server
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
