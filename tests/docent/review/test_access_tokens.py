"""OpenID Connect access tokens against the fake identity provider (a real process on loopback), with a settable
clock: a token acts as the Docent user its email names, as they are now; a token of another issuer or audience, out
of its lifetime, forged, unsigned or HMAC-signed, or naming nobody (or a disabled account) is refused with a reason
and recorded; the issuer's keys are fetched once, again for a new key id at most once per refresh window, and an
unreachable issuer is an IssuerUnreachable, not a refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from docent.access import Role
from docent.devtools.fake_oidc import FakeOIDCServer
from docent.devtools.local_server import free_port
from docent.review.oidc import AccessTokens, IssuerUnreachable, TokenRefused
from docent.review.users import UserStore
from docent.settings import ApiSettings
from docent.store.audit import AuditLog
from tests.principals import ADMIN

AUDIENCE = "docent-api"


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeOIDCServer]:
    with FakeOIDCServer(email="mo@example.com") as server:
        yield server


@pytest.fixture
def url(tmp_path) -> str:
    users = UserStore(url := f"sqlite:///{tmp_path / 'state.db'}")
    users.add("mo@example.com", "mo password", "member")
    users.add("rita@example.com", "rita password", "reviewer")
    return url


class Setup:
    """The checker under test, its clock, and the URLs it fetched."""

    def __init__(self, idp: FakeOIDCServer, url: str, **api: object):
        self.now, self.fetched = time.time(), []
        http = httpx.Client(trust_env=False, event_hooks={"request": [lambda r: self.fetched.append(str(r.url))]})
        settings = ApiSettings(oidc_issuer=idp.root_url, oidc_audience=AUDIENCE, **api)
        self.tokens = AccessTokens(settings, url, http=http, clock=lambda: self.now)


@pytest.fixture
def setup(idp, url) -> Setup:
    return Setup(idp, url)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def with_payload(token: str, **claims: object) -> str:
    """The token with its claims replaced and its signature kept (a forgery)."""
    header, _, signature = token.split(".")
    return f"{header}.{b64(claims)}.{signature}"


def refused(setup: Setup, token: str, reason: str) -> str:
    with pytest.raises(TokenRefused) as caught:
        setup.tokens.principal(token)
    assert caught.value.reason == reason
    return str(caught.value)


def test_a_token_acts_as_the_user_its_email_names_as_they_are_now(setup, idp, url):
    token = idp.access_token(aud=AUDIENCE)
    assert setup.tokens.principal(token).username == "mo@example.com"
    UserStore(url).set_role(ADMIN, "mo@example.com", "analyst")
    assert setup.tokens.principal(f" {token}\n").role is Role.ANALYST
    assert setup.tokens.principal(idp.access_token(aud=[AUDIENCE, "other"], sub="x", email="rita@example.com")).role \
        is Role.REVIEWER
    assert AuditLog(url).recent() == []
    with pytest.raises(TokenRefused, match="a claim is missing"):  # never the display name, which people may set
        setup.tokens.principal(idp.access_token(aud=AUDIENCE, email=None, name="rita@example.com"))


def test_the_username_claim_is_configurable(idp, url):
    setup = Setup(idp, url, oidc_username_claim="preferred_username")
    assert setup.tokens.principal(idp.access_token(aud=AUDIENCE, preferred_username="rita@example.com")).role \
        is Role.REVIEWER


def test_refused_tokens_say_why_and_are_recorded(setup, idp, url):
    now = int(time.time())
    valid = idp.access_token(aud=AUDIENCE)
    public_pem = RSAKey.import_key(httpx.get(f"{idp.root_url}/jwks", trust_env=False).json()["keys"][0]).as_pem()
    hs_header = b64({"alg": "HS256", "typ": "JWT"})
    hs_payload = b64({"iss": idp.root_url, "aud": AUDIENCE, "exp": now + 300, "email": "rita@example.com"})
    hs_signature = base64.urlsafe_b64encode(hmac.new(public_pem, f"{hs_header}.{hs_payload}".encode(),
                                                     hashlib.sha256).digest()).rstrip(b"=").decode()
    cases = [
        (idp.access_token(aud="another-app"), "audience", "another application"),
        (idp.access_token(aud=AUDIENCE, iss="https://evil.example.com"), "issuer", "another identity provider"),
        (idp.access_token(aud=AUDIENCE, exp=now - 120), "expired", "expired"),
        (idp.access_token(aud=AUDIENCE, nbf=now + 600), "early", "not valid yet"),
        (idp.access_token(aud=AUDIENCE, exp=None), "claims", "missing"),
        (idp.access_token(aud=None), "claims", "missing"),
        (with_payload(valid, iss=idp.root_url, aud=AUDIENCE, exp=now + 300, email="rita@example.com"), "signature",
         "signature does not verify"),
        (f"{b64({'alg': 'none'})}.{hs_payload}.", "algorithm", "accepted algorithm"),
        (f"{hs_header}.{hs_payload}.{hs_signature}", "algorithm", "accepted algorithm"),  # the public key as HMAC secret
        (jwt.encode({"alg": "RS256", "kid": "fake-oidc-1"}, {"iss": idp.root_url, "aud": AUDIENCE, "exp": now + 300},
                    RSAKey.generate_key(2048)), "signature", "signature"),  # a known kid, another key
        ("not-a-token", "malformed", "not a JWT"),
        (idp.access_token(aud=AUDIENCE, email="stranger@example.com"), "unknown_user", "docent users add"),
        (idp.access_token(aud=AUDIENCE, email_verified=False), "unverified", "not verified"),
    ]
    for token, reason, says in cases:
        assert says in refused(setup, token, reason), reason
    assert [r.reason for r in AuditLog(url).recent()][::-1] == [reason for _, reason, _ in cases]


def test_a_disabled_account_is_refused_and_its_id_recorded(setup, idp, url):
    mo = UserStore(url).disable(ADMIN, "mo@example.com")
    assert "disabled" in refused(setup, idp.access_token(aud=AUDIENCE), "disabled")
    assert [(r.actor, r.action, r.reason) for r in AuditLog(url).recent()] == [(mo.id, "oidc_token", "disabled")]


def test_a_token_expires_with_the_clock_give_or_take_the_leeway(setup, idp):
    token = idp.access_token(aud=AUDIENCE, exp=int(setup.now) + 60)
    setup.now += 60 + 29
    assert setup.tokens.principal(token).username == "mo@example.com"  # within the 30 s leeway
    setup.now += 2
    refused(setup, token, "expired")


def test_keys_are_fetched_once_and_again_for_a_new_kid_at_most_once_per_window(setup, idp):
    assert setup.tokens.principal(idp.access_token(aud=AUDIENCE))
    assert [u.rsplit("/", 1)[1] for u in setup.fetched] == ["openid-configuration", "jwks"]
    setup.fetched.clear()
    stranger = RSAKey.generate_key(2048)
    junk = [jwt.encode({"alg": "RS256", "kid": f"junk-{n}"}, {"aud": AUDIENCE}, stranger) for n in range(20)]
    for token in junk:  # within the window of the first fetch: nobody asks the issuer
        refused(setup, token, "signature")
    assert setup.fetched == []
    setup.now += 61
    for token in junk:  # the window has passed: one fetch for the whole flood
        refused(setup, token, "signature")
    assert len(setup.fetched) == 1
    idp.rotate()
    rotated = idp.access_token(aud=AUDIENCE)
    refused(setup, rotated, "signature")  # the new kid arrived within the window: refused, the issuer not asked
    setup.now += 61
    assert setup.tokens.principal(rotated).username == "mo@example.com"
    assert len(setup.fetched) == 2
    assert setup.tokens.principal(idp.access_token(aud=AUDIENCE)) and len(setup.fetched) == 2


def test_keys_older_than_an_hour_are_fetched_again(setup, idp):
    token = idp.access_token(aud=AUDIENCE, exp=int(setup.now) + 7200)
    setup.tokens.principal(token)
    setup.now += 3600
    setup.tokens.principal(token)
    assert [u.rsplit("/", 1)[1] for u in setup.fetched] == ["openid-configuration", "jwks", "jwks"]


def test_an_unreachable_issuer_is_unavailable_and_not_asked_at_every_request(idp, url):
    setup = Setup(idp, url, oidc_jwks_url=f"http://127.0.0.1:{free_port()}/jwks")
    token = idp.access_token(aud=AUDIENCE)
    for _ in range(3):
        with pytest.raises(IssuerUnreachable, match="did not answer"):
            setup.tokens.principal(token)
    assert len(setup.fetched) == 1
    assert AuditLog(url).recent() == []  # the token was not refused: nobody could check it


def test_oidc_is_off_without_an_issuer_and_needs_an_audience_with_one(url):
    assert AccessTokens.configured(ApiSettings(), url) is None
    with pytest.raises(ValueError, match="oidc_audience"):
        ApiSettings(oidc_issuer="https://login.example.com")
