"""Who is using the app: local users with a session cookie, or OpenID Connect.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` the app signs people in through
``st.login``; their role is the one an admin gave the same username with ``docent users add``.
Otherwise people sign in on the server's own page (``app/server.py``), which sets an HTTP-only
session cookie; every script run checks that session again (expired, signed out, account
disabled), so a change takes effect at the next click, and a reload keeps the person signed in.
"""

from __future__ import annotations

import streamlit as st

from app.resources import sessions, users
from docent.access import Action, Principal, allowed
from docent.review.sessions import COOKIE, SessionRefused


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def current_user() -> Principal | None:
    """The signed-in person, as they are now; None (with the reason kept for the sign-in page) otherwise."""
    if oidc_configured():
        return st.session_state.get("user")
    token = st.session_state.get("session_token") or dict(st.context.cookies).get(COOKIE)
    if not token or token == st.session_state.get("refused_token"):
        return None
    try:
        principal = sessions().principal(token)
    except SessionRefused as exc:  # recorded in the audit log once, not at every rerun
        st.session_state.update(refused_token=token, refusal=str(exc))
        st.session_state.pop("session_token", None)
        return None
    st.session_state.session_token = token
    return principal


def require_page(action: Action) -> Principal:
    """The signed-in user when they may ``action``; otherwise the page says so, records it and stops.

    Nobody signed in (signed out a moment ago, by this page's button or in another tab): the page shows
    the way to sign in instead.
    """
    user = current_user()
    if user is None:
        sign_in()
        st.stop()
    if not allowed(user, action):
        sessions().audit.refused(user.id if user else "", "open_page", "role", action.value)
        st.error("Your role does not give access to this page.")
        st.stop()
    return user


def sign_in() -> None:
    """The page for someone not signed in: the identity provider's button, or a link to the sign-in page."""
    st.title("Docent")
    if oidc_configured():
        if not st.user.is_logged_in:
            st.button("Sign in", on_click=st.login, type="primary")
            return
        user = users().get(st.user.get("email") or st.user.get("name") or "")
        if user is None or user.disabled:
            st.error("You are signed in, but no Docent role is assigned to you. Ask an admin to run `docent users add`.")
            return
        st.session_state.user = user
        st.rerun()
    if users().count() == 0:
        st.info("No users yet. Create the first admin with `docent users add NAME --role admin`.")
    st.info(st.session_state.get("refusal") or "Sign in to use Docent.")
    st.markdown('<a href="/auth/sign-in" target="_self">Sign in</a>', unsafe_allow_html=True)


def sign_out() -> None:
    """Revoke the session (the cookie is refused from now on, in every tab) and forget the user."""
    if token := st.session_state.pop("session_token", None):
        sessions().revoke(token)
        st.session_state.update(refused_token=token, refusal="You have signed out.")
    st.session_state.pop("user", None)
    if oidc_configured() and st.user.is_logged_in:
        st.logout()
