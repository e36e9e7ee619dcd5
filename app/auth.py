"""Who is using the app: local users (argon2 hashes in the state store) or OpenID Connect.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` the app signs people in through
``st.login``; their role is the one an admin gave the same username with ``docent users add``.
Otherwise a local sign-in form checks the state store.
"""

from __future__ import annotations

import streamlit as st

from app.resources import sign_ins, users
from docent.access import Action, Principal, allowed


def current_user() -> Principal | None:
    return st.session_state.get("user")


def require_page(action: Action) -> Principal:
    """The signed-in user when they may ``action``; otherwise the page says so and stops."""
    user = current_user()
    if not allowed(user, action):
        st.error("Your role does not give access to this page.")
        st.stop()
    return user


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def sign_in() -> None:
    """The sign-in page: a form for local users, or the identity provider's button."""
    st.title("Docent")
    if _oidc_configured():
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
    with st.form("sign-in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Sign in", type="primary"):
            from docent.review.sign_in import SignInRefused

            try:
                st.session_state.user = sign_ins().attempt(username, password)
            except SignInRefused as exc:
                st.error(str(exc))
            else:
                st.rerun()


def sign_out() -> None:
    st.session_state.pop("user", None)
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()
