"""OpenID Connect access tokens: how a program signed in at the organisation's identity provider acts as a Docent user.

A token is a JWT signed by the issuer (``api.oidc_issuer``) with one of its published keys (JWKS). It is accepted when
its signature verifies with an asymmetric algorithm (never ``none``, never an HMAC a public key could forge), it names
the issuer and Docent's audience, and it is within its lifetime (``exp``, ``nbf``, give or take ``api.oidc_leeway_s``).
Its username claim (``api.oidc_username_claim``, the email by default; never the display name, which people may
set themselves) names a Docent account, which acts with its role as it is now; the issuer grants no role. Each
refusal goes to the audit log with its reason, like an API key's.

The keys are fetched once and kept; a token naming a key id not among them fetches them again (the issuer rotated its
keys), at most once per ``api.oidc_jwks_refresh_s``, so a flood of junk key ids cannot hammer the issuer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidClaimError, InvalidPayloadError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from docent.access import Principal, Refused, standing
from docent.settings import ApiSettings
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.db import engine_for

log = logging.getLogger("docent.oidc")
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
KEYS_MAX_AGE_S = 3600.0  # keys older than this are fetched again, so a key the issuer withdrew stops working
ASK_ADMIN = "ask an admin to run `docent users add NAME --role ROLE` with this name"
REFUSED = {
    "malformed": "invalid access token: not a JWT",
    "algorithm": f"invalid access token: not signed with an accepted algorithm ({', '.join(ALGORITHMS)})",
    "signature": "invalid access token: its signature does not verify with the identity provider's keys",
    "issuer": "this access token was issued by another identity provider",
    "audience": "this access token is meant for another application, not Docent (wrong audience)",
    "expired": "this access token has expired: get a new one from the identity provider",
    "early": "this access token is not valid yet (nbf or iat in the future): check the clocks",
    "claims": "invalid access token: a claim is missing or malformed (exp, iss, aud, or the username)",
    "unverified": "the identity provider has not verified this token's email address",
    "unknown_user": f"no Docent role is assigned to this identity: {ASK_ADMIN}",
    "disabled": "the Docent account of this identity is disabled: ask an admin to run `docent users enable NAME`",
    "role": "the Docent account of this identity has a role Docent does not know: ask an admin to set it",
}


class TokenRefused(Refused):
    """An access token refused; ``reason`` is one of REFUSED's keys."""

    MESSAGES = REFUSED


class IssuerUnreachable(Exception):
    """The identity provider's discovery document or keys could not be fetched: try again later (HTTP 503)."""


class AccessTokens:
    """Checks access tokens of one issuer; one per process, shared by its threads (the keys are cached here)."""

    def __init__(self, api: ApiSettings, state_url: str, http: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time):
        if not (api.oidc_issuer and api.oidc_audience):
            raise ValueError("access tokens need api.oidc_issuer and api.oidc_audience")
        self.issuer, self._audience, self._claim = api.oidc_issuer, api.oidc_audience, api.oidc_username_claim
        self._jwks_url, self._leeway, self._refresh_s = api.oidc_jwks_url, api.oidc_leeway_s, api.oidc_jwks_refresh_s
        self._http = http or httpx.Client(timeout=10, trust_env=False)
        self._clock = clock  # injectable: tests let a token expire, and the refresh window pass, without waiting
        self._engine = engine_for(state_url)
        self.audit = AuditLog(state_url)
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")

    @classmethod
    def configured(cls, api: ApiSettings, state_url: str) -> AccessTokens | None:
        """The checker when ``api.oidc_issuer`` is set; None (API keys only) otherwise."""
        return cls(api, state_url) if api.oidc_issuer else None

    def principal(self, token: str) -> Principal:
        """Who the token acts for, as they are now; TokenRefused (recorded) or IssuerUnreachable otherwise."""
        token = token.strip()
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError, UnicodeError):
            raise self._refusal("", "malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise self._refusal("", "algorithm", str(header.get("alg"))[:40])
        kid = header.get("kid")
        keys = self._keys_for(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(token, keys, algorithms=ALGORITHMS).claims
        except InvalidPayloadError:
            raise self._refusal("", "malformed", "payload") from None
        except (JoseError, ValueError):  # a bad signature, or no key of this id for this algorithm
            raise self._refusal("", "signature", f"kid {kid}") from None
        self._check_claims(claims)
        return self._account(claims)

    def _check_claims(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(now=lambda: int(self._clock()), leeway=int(self._leeway),
                                         iss={"essential": True, "value": self.issuer},
                                         aud={"essential": True, "value": self._audience}, exp={"essential": True})
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise self._refusal("", "expired", str(claims.get("sub", ""))[:200]) from None
        except InvalidClaimError as exc:
            reason = {"iss": "issuer", "aud": "audience", "nbf": "early", "iat": "early"}.get(exc.claim, "claims")
            raise self._refusal("", reason, f"{exc.claim}: {str(claims.get(exc.claim))[:200]}") from None
        except ClaimError as exc:
            raise self._refusal("", "claims", f"missing {exc.claim}") from None

    def _account(self, claims: dict[str, Any]) -> Principal:
        username = claims.get(self._claim)  # never a fallback to `name`: people may set their own display name
        if not isinstance(username, str) or not username.strip():
            raise self._refusal("", "claims", f"no {self._claim} claim")
        if self._claim == "email" and claims.get("email") == username and claims.get("email_verified") is False:
            raise self._refusal("", "unverified", username[:200])
        with Session(self._engine) as s:
            row = s.scalar(sa.select(m.User).where(m.User.username == username))
            who = standing(row)
        if isinstance(who, str):
            raise self._refusal(row.id if row is not None else "", "unknown_user" if row is None else who, username[:200])
        return who

    def _keys_for(self, kid: str | None) -> KeySet:
        """The issuer's keys, fetched again when they are old or lack ``kid`` (at most once per refresh window)."""
        with self._lock:
            now = self._clock()
            missing = self._keys is None or (kid is not None and kid not in {k.kid for k in self._keys})
            if (missing and now - self._fetched_at >= self._refresh_s) or now - self._fetched_at >= KEYS_MAX_AGE_S:
                self._fetched_at = now  # a failed fetch counts too: an unreachable issuer is not asked at every request
                self._keys = self._fetch_keys()
            if self._keys is None:
                raise self._unreachable()
            return self._keys

    def _fetch_keys(self) -> KeySet:
        url = self._jwks_url or self._discovered_jwks_url()
        try:
            return KeySet.import_key_set(self._get(url))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise IssuerUnreachable(f"the identity provider {self.issuer} publishes keys Docent cannot read "
                                    f"at {url}: {exc}") from None

    def _discovered_jwks_url(self) -> str:
        url = self._get(f"{self.issuer.rstrip('/')}/.well-known/openid-configuration").get("jwks_uri")
        if not isinstance(url, str):
            raise IssuerUnreachable(f"the identity provider {self.issuer} publishes no jwks_uri: set api.oidc_jwks_url")
        self._jwks_url = url
        return url

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("identity provider unreachable: %s: %s", url, exc)
            raise self._unreachable() from None
        if not isinstance(body, dict):
            raise IssuerUnreachable(f"the identity provider {self.issuer} sent something that is not JSON at {url}")
        return body

    def _unreachable(self) -> IssuerUnreachable:
        return IssuerUnreachable(f"the identity provider {self.issuer} did not answer: try again shortly")

    def _refusal(self, actor: str, reason: str, detail: str = "") -> TokenRefused:
        self.audit.refused(actor, "oidc_token", reason, detail)
        return TokenRefused(reason)
