"""The app's web server: Streamlit (``st.App``) plus the local sign-in routes that hold the session cookie.

Streamlit cannot set an HTTP-only cookie from a script, so signing in and out are plain routes here:
``POST /auth/sign-in`` checks the password (throttled, :mod:`docent.review.sign_in`), opens a session
(:mod:`docent.review.sessions`) and sets its token in an HTTP-only, SameSite=Lax cookie;
``POST /auth/sign-out`` revokes it. A page load without a valid session is sent to the sign-in page,
which sends the person back to the page they asked for, so a reload or a deep link keeps working.
With OpenID Connect configured, Streamlit's own session is used and this file adds nothing.

Run with ``docent app`` (``streamlit run app/server.py``).
"""

from __future__ import annotations

import sys
from functools import cache
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `app.*` imports when run as a script

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.middleware.base import BaseHTTPMiddleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import HTMLResponse, RedirectResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from app.auth import oidc_configured  # noqa: E402
from docent.review.sessions import COOKIE, SIGN_IN_AGAIN, SessionRefused, Sessions  # noqa: E402
from docent.review.sign_in import SignIn, SignInRefused  # noqa: E402
from docent.settings import load_settings  # noqa: E402

PAGE = Template((Path(__file__).parent / "templates" / "sign_in.html").read_text())
SIGN_IN = "/auth/sign-in"
OPEN_PATHS = ("/auth/", "/_stcore/", "/static/", "/media/", "/component/", "/favicon")


@cache
def _auth() -> tuple[SignIn, Sessions]:
    settings = load_settings()
    return SignIn(settings.state_url, settings.auth), Sessions.for_settings(settings)


def _safe_next(value: str | None) -> str:
    """Only a path on this server (never ``//host`` or a URL): no open redirect."""
    return value if value and value.startswith("/") and not value.startswith(("//", "/\\")) else "/"


def _page(next_path: str, username: str = "", error: str = "", info: str = "", status: int = 200) -> HTMLResponse:
    notice = "".join(f'<div class="notice {kind}" role="alert">{escape(text)}</div>'
                     for kind, text in (("error", error), ("info", info)) if text)
    html = PAGE.substitute(notice=notice, next=escape(next_path, quote=True), username=escape(username, quote=True))
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _to_sign_in(next_path: str, reason: str | None = None) -> RedirectResponse:
    query = {"next": next_path, **({"reason": reason} if reason else {})}
    response = RedirectResponse(f"{SIGN_IN}?{urlencode(query)}", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def sign_in_page(request: Request) -> Response:
    next_path = _safe_next(request.query_params.get("next"))
    if token := request.cookies.get(COOKIE):
        try:
            _auth()[1].principal(token)
            return RedirectResponse(next_path, status_code=303)  # already signed in
        except SessionRefused:
            pass
    reason = request.query_params.get("reason", "")
    return _page(next_path, info=SIGN_IN_AGAIN.get(reason, ""))


async def sign_in_submit(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "")))
    sign_ins, sessions = _auth()
    try:
        principal = sign_ins.attempt(username, password)
    except SignInRefused as exc:
        return _page(next_path, username=username, error=str(exc), status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, sessions.open(principal), max_age=sessions.max_age_s, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


async def sign_out(request: Request) -> Response:
    if token := request.cookies.get(COOKIE):
        _auth()[1].revoke(token)
    return _to_sign_in("/", "revoked")


class RequireSession(BaseHTTPMiddleware):
    """Send a page load (a browser navigation) without a valid session to the sign-in page."""

    async def dispatch(self, request: Request, call_next):  # type: ignore[override]
        path = request.url.path
        navigation = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
        if not navigation or path.startswith(OPEN_PATHS) or oidc_configured():
            return await call_next(request)
        next_path = path + (f"?{request.url.query}" if request.url.query else "")
        token = request.cookies.get(COOKIE)
        if not token:
            return _to_sign_in(next_path)
        try:
            _auth()[1].principal(token)
        except SessionRefused as exc:
            return _to_sign_in(next_path, exc.reason)
        return await call_next(request)


app = st.App(
    "streamlit_app.py",
    routes=[Route(SIGN_IN, sign_in_page, methods=["GET"]), Route(SIGN_IN, sign_in_submit, methods=["POST"]),
            Route("/auth/sign-out", sign_out, methods=["POST"])],
    middleware=[Middleware(RequireSession)],
)
