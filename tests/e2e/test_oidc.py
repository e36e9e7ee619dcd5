"""Signing in through OpenID Connect: the app's real ``st.login`` flow against a local fake provider.

The provider (``docent.devtools.fake_oidc``) signs in one fixed identity without a login page; the app finds its
role by the identity's email in the users table, and says so when there is none.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from docent.devtools.fake_oidc import FakeOIDCServer
from docent.devtools.local_server import free_port
from tests.e2e.conftest import PASSWORD, AppServer, clone_data, docent

pytestmark = pytest.mark.slow


@dataclass
class OIDCAppServer(AppServer):
    """AppServer reading its ``[auth]`` section from ``secrets_file`` (``--secrets.files``)."""

    secrets_file: Path | None = None

    def command(self) -> list[str]:
        return [*super().command(), "--secrets.files", str(self.secrets_file)]


def write_secrets(path: Path, app_port: int, idp: FakeOIDCServer) -> Path:
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "docent-e2e"\n'
        'client_secret = "docent-e2e-secret"\n'
        f'server_metadata_url = "{idp.metadata_url}"\n')
    return path


@pytest.fixture(scope="module")
def oidc_data(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Path:
    """The ingested samples plus alice@example.com as a reviewer (bob@example.com has no role)."""
    data = clone_data(acme_data, tmp_path_factory.mktemp("oidc") / "data")
    docent(["users", "add", "alice@example.com", "--role", "reviewer", "--password-stdin"], data, stdin=PASSWORD + "\n")
    return data


def _serve_with_idp(tmp_path_factory: pytest.TempPathFactory, data: Path, email: str) -> Iterator[OIDCAppServer]:
    root = tmp_path_factory.mktemp("oidc-app")
    with FakeOIDCServer(email=email) as idp:
        port = free_port()
        secrets_file = write_secrets(root / "secrets.toml", port, idp)
        with OIDCAppServer(data, port=port, log_path=root / "app.log", secrets_file=secrets_file) as server:
            yield server


@pytest.fixture
def alice_app(tmp_path_factory: pytest.TempPathFactory, oidc_data: Path) -> Iterator[OIDCAppServer]:
    yield from _serve_with_idp(tmp_path_factory, oidc_data, "alice@example.com")


@pytest.fixture
def stranger_app(tmp_path_factory: pytest.TempPathFactory, oidc_data: Path) -> Iterator[OIDCAppServer]:
    yield from _serve_with_idp(tmp_path_factory, oidc_data, "bob@example.com")


def _sign_in_with_idp(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()  # -> /auth/login -> IdP /authorize -> /oauth2callback -> app


def test_oidc_sign_in_gets_the_docent_role(alice_app: OIDCAppServer, page: Any) -> None:
    _sign_in_with_idp(page, alice_app.url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("Signed in as alice@example.com (reviewer)")).to_be_visible(timeout=120_000)
    expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("Review", exact=True)).to_be_visible()


def test_oidc_user_without_a_role_is_told_so(stranger_app: OIDCAppServer, page: Any) -> None:
    _sign_in_with_idp(page, stranger_app.url)
    expect(page.get_by_text("no Docent role is assigned", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Signed in as")).to_have_count(0)
