"""A minimal local OpenID Connect provider, so tests can drive the app's real `st.login` flow without the network.

It signs in one fixed identity (`--email`, `--name`) without asking anything: `/authorize` redirects straight back to the
client's `redirect_uri` with a fresh code, and `/token` trades it for an RS256 id_token (key generated at start-up,
published at `/jwks`). Any client_id and client_secret are accepted. Not secure, never for real use.

For the API's bearer tokens, two test-only endpoints: `POST /test/token` signs an access token with whatever claims it
is sent (over defaults: this issuer, the fixed identity, five minutes of life), and `POST /test/rotate` makes a new
signing key (a new kid; the old one stays published), as an issuer rotating its keys does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from docent.devtools.local_server import LocalServer, serve_app

_KEYS = web.AppKey("keys", list)  # RSAKey, the newest (the one that signs) last
_CODES = web.AppKey("codes", dict)  # code -> {client_id, nonce}
_IDENTITY = web.AppKey("identity", dict)


def _issuer(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def configuration(request: web.Request) -> web.Response:
    """GET /.well-known/openid-configuration: the discovery document."""
    iss = _issuer(request)
    return web.json_response({
        "issuer": iss, "authorization_endpoint": f"{iss}/authorize", "token_endpoint": f"{iss}/token",
        "jwks_uri": f"{iss}/jwks", "userinfo_endpoint": f"{iss}/userinfo", "response_types_supported": ["code"],
        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"], "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    })


async def authorize(request: web.Request) -> web.Response:
    """GET /authorize: no login page, straight back to redirect_uri with a code and the caller's state."""
    query = request.query
    if "redirect_uri" not in query:
        return web.json_response({"error": "invalid_request", "error_description": "redirect_uri missing"}, status=400)
    code = secrets.token_urlsafe(16)
    request.app[_CODES][code] = {"client_id": query.get("client_id", ""), "nonce": query.get("nonce")}
    params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
    sep = "&" if "?" in query["redirect_uri"] else "?"
    raise web.HTTPFound(f"{query['redirect_uri']}{sep}{urlencode(params)}")


def _claims(request: web.Request) -> dict[str, Any]:
    identity = request.app[_IDENTITY]
    return {"sub": identity["email"], "email": identity["email"], "email_verified": True, "name": identity["name"]}


async def token(request: web.Request) -> web.Response:
    """POST /token: a one-time code -> access_token and a signed id_token (client auth is not checked)."""
    form = await request.post()
    grant = request.app[_CODES].pop(str(form.get("code", "")), None)
    if form.get("grant_type") != "authorization_code" or grant is None:
        return web.json_response({"error": "invalid_grant"}, status=400)
    client_id = grant["client_id"] or str(form.get("client_id", ""))
    now = int(time.time())
    claims = {"iss": _issuer(request), "aud": client_id, "iat": now, "exp": now + 3600, **_claims(request)}
    if grant["nonce"] is not None:
        claims["nonce"] = grant["nonce"]
    return web.json_response({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                              "id_token": _signed(request.app, claims), "scope": "openid email profile"})


def _signed(app: web.Application, claims: dict[str, Any]) -> str:
    key = app[_KEYS][-1]
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _new_key(app: web.Application) -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"kid": f"fake-oidc-{len(app[_KEYS]) + 1}", "use": "sig", "alg": "RS256"})
    app[_KEYS].append(key)
    return key


async def mint_token(request: web.Request) -> web.Response:
    """POST /test/token (test-only): an access token with the JSON body's claims; a claim sent as null is left out."""
    now = int(time.time())
    email = request.app[_IDENTITY]["email"]
    claims = {"iss": _issuer(request), "sub": email, "email": email, "iat": now, "exp": now + 300,
              **(await request.json())}
    return web.json_response({"access_token": _signed(request.app, {k: v for k, v in claims.items() if v is not None})})


async def rotate_key(request: web.Request) -> web.Response:
    """POST /test/rotate (test-only): a new signing key; the old ones stay published."""
    return web.json_response({"kid": _new_key(request.app).kid})


async def jwks(request: web.Request) -> web.Response:
    return web.json_response({"keys": [key.as_dict(private=False) for key in reversed(request.app[_KEYS])]})


async def userinfo(request: web.Request) -> web.Response:
    return web.json_response(_claims(request))


def make_app(email: str, name: str | None = None) -> web.Application:
    app = web.Application()
    app[_KEYS], app[_CODES], app[_IDENTITY] = [], {}, {"email": email, "name": name or email.split("@")[0]}
    _new_key(app)
    app.add_routes([web.get("/.well-known/openid-configuration", configuration), web.get("/authorize", authorize),
                    web.post("/token", token), web.get("/jwks", jwks), web.get("/userinfo", userinfo),
                    web.post("/test/token", mint_token), web.post("/test/rotate", rotate_key)])
    return app


async def serve(host: str, port: int, email: str, name: str | None) -> None:
    await serve_app(make_app(email, name), host, port)


class FakeOIDCServer(LocalServer):
    """Runs the fake provider as a subprocess; `with FakeOIDCServer(email=...) as idp: ... idp.metadata_url`."""

    module = "docent.devtools.fake_oidc"

    def __init__(self, email: str = "alice@example.com", name: str | None = None, host: str = "127.0.0.1", port: int = 0,
                 startup_timeout: float = 30.0) -> None:
        super().__init__(host, port, startup_timeout)
        self.email, self.name = email, name

    @property
    def metadata_url(self) -> str:
        return f"{self.root_url}/.well-known/openid-configuration"

    def arguments(self) -> list[str]:
        return ["--email", self.email, *(["--name", self.name] if self.name else [])]

    def access_token(self, **claims: Any) -> str:
        """A signed access token with these claims over the defaults (None leaves a claim out)."""
        return self._post("/test/token", claims)["access_token"]

    def rotate(self) -> str:
        """A new signing key; its kid."""
        return self._post("/test/rotate", {})["kid"]

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(self.root_url + path, json=body, timeout=30, trust_env=False)
        response.raise_for_status()
        return response.json()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenID Connect provider that signs in one fixed user.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--email", default="alice@example.com")
    parser.add_argument("--name", default=None)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.email, args.name))


if __name__ == "__main__":
    main()
