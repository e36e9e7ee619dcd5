"""OpenID Connect access tokens on the real API: ``docent serve`` with ``api.oidc_issuer`` set to the fake identity
provider (both real processes on loopback). A valid token acts as the Docent user its email names; a token of another
audience or issuer, expired, forged, unsigned, or naming an unknown or disabled user gets 401 with the reason; a
rotated key is picked up; API keys work beside tokens."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from docent.devtools.fake_oidc import FakeOIDCServer
from tests.api.conftest import ApiServer
from tests.e2e.conftest import clone_data
from tests.principals import ADMIN

pytestmark = pytest.mark.slow
AUDIENCE = "docent-api"
INVALID = 'Bearer realm="docent", error="invalid_token"'


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeOIDCServer]:
    with FakeOIDCServer(email="mo@example.com") as server:
        yield server


@pytest.fixture(scope="module")
def oidc_api(tmp_path_factory: pytest.TempPathFactory, acme_data: Path, idp: FakeOIDCServer) -> Iterator[ApiServer]:
    """The API over samples/acme trusting the fake provider's tokens for audience docent-api; users mo@example.com
    (member) and dee@example.com (member, disabled) beside the usual alice, ann and root. Keys are fetched again
    for every new kid (api.oidc_jwks_refresh_s 0: the refresh window is the unit tests' business)."""
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("oidc-api") / "data")
    users = UserStore(f"sqlite:///{data / 'docent.db'}")
    users.add("mo@example.com", "password-mo", "member")
    users.add("dee@example.com", "password-dee", "member")
    users.disable(ADMIN, "dee@example.com")
    env = {"DOCENT_API__OIDC_ISSUER": idp.root_url, "DOCENT_API__OIDC_AUDIENCE": AUDIENCE,
           "DOCENT_API__OIDC_JWKS_REFRESH_S": "0"}
    with ApiServer(data, env=env, startup_timeout=180) as server:
        yield server


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_of_a_docent_user_asks_and_lists_conversations(oidc_api, idp):
    with oidc_api.client(idp.access_token(aud=AUDIENCE)) as client:
        asked = client.post("/v1/messages", json={"question": "How many weeks of parental leave?"})
        assert asked.status_code == 202, asked.text
        with client.stream("GET", asked.json()["stream_url"]) as stream:
            assert stream.status_code == 200 and "event: final" in stream.read().decode()
        listed = client.get("/v1/conversations")
        assert listed.status_code == 200 and asked.json()["conversation_id"] in [c["id"] for c in listed.json()]


def test_refused_tokens_get_401_with_the_reason_and_are_audited(oidc_api, idp):
    from docent.store.audit import AuditLog

    now = int(time.time())
    valid = idp.access_token(aud=AUDIENCE)
    header, _, signature = valid.split(".")
    claims = {"iss": idp.root_url, "aud": AUDIENCE, "exp": now + 300, "email": "alice@example.com"}
    cases = [
        (idp.access_token(aud="another-app"), "audience", "another application"),
        (idp.access_token(aud=AUDIENCE, iss="https://evil.example.com"), "issuer", "another identity provider"),
        (idp.access_token(aud=AUDIENCE, exp=now - 300), "expired", "expired"),
        (f"{header}.{b64(claims)}.{signature}", "signature", "signature does not verify"),
        (f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.", "algorithm", "accepted algorithm"),
        (idp.access_token(aud=AUDIENCE, email="stranger@example.com"), "unknown_user", "docent users add"),
        (idp.access_token(aud=AUDIENCE, email="dee@example.com"), "disabled", "disabled"),
    ]
    for token, reason, says in cases:
        response = httpx.get(oidc_api.url + "/v1/conversations", headers={"Authorization": f"Bearer {token}"},
                             trust_env=False)
        assert response.status_code == 401, (reason, response.text)
        assert response.headers["www-authenticate"] == INVALID
        assert says in response.json()["error"]["message"], (reason, response.text)
    recorded = [(r.action, r.reason) for r in AuditLog(oidc_api.state_url).recent(len(cases))][::-1]
    assert recorded == [("oidc_token", reason) for _, reason, _ in cases]


def test_a_missing_credential_is_told_both_ways_to_authenticate(oidc_api, idp):
    response = httpx.get(oidc_api.url + "/v1/conversations", trust_env=False)
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer realm="docent"'
    assert f"or an access token from {idp.root_url}" in response.json()["error"]["message"]
    scheme = httpx.get(oidc_api.url + "/openapi.json", trust_env=False).json()["components"]["securitySchemes"]
    assert "API key" in scheme["bearer"]["description"] and "access token" in scheme["bearer"]["description"]


def test_a_rotated_key_is_fetched_and_its_tokens_accepted(oidc_api, idp):
    with oidc_api.client(idp.access_token(aud=AUDIENCE)) as before:
        assert before.get("/v1/conversations").status_code == 200
    kid = idp.rotate()
    token = idp.access_token(aud=AUDIENCE)
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"] == kid
    with oidc_api.client(token) as after:
        assert after.get("/v1/conversations").status_code == 200


def test_api_keys_work_beside_tokens(oidc_api):
    with oidc_api.client(oidc_api.key("mo@example.com")) as client:
        assert client.get("/v1/conversations").status_code == 200
    forged = httpx.get(oidc_api.url + "/v1/conversations", headers={"Authorization": "Bearer dk_abcdefgh_" + "x" * 43},
                       trust_env=False)
    assert forged.status_code == 401 and "invalid API key" in forged.json()["error"]["message"]
