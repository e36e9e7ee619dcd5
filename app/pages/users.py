"""Users (admins only): who may sign in, and as what."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.auth import require_page
from app.resources import api_keys, users
from docent.access import Action, PermissionDenied, Role
from docent.review.users import UserError
from docent.store.records import utc_now

st.title("Users")
admin = require_page(Action.MANAGE_USERS)
store = users()
if flash := st.session_state.pop("users-flash", None):  # the confirmation of the last action, after its rerun
    st.toast(flash, icon=":material/check_circle:")


def done(message: str) -> None:
    st.session_state["users-flash"] = message
    st.rerun()


st.dataframe(pd.DataFrame([{"username": u.username, "role": u.role, "disabled": u.disabled} for u in store.list()]),
             hide_index=True, width="stretch")

roles = [r.value for r in Role]
with st.form("add-user", clear_on_submit=True):
    st.subheader("Add a user")
    name, role = st.columns(2)
    username = name.text_input("Username")
    new_role = role.selectbox("Role", roles)
    password = st.text_input("Password (8 characters or more)", type="password")
    if st.form_submit_button("Add"):
        try:
            store.add(username, password, new_role)
            st.success(f"Added {username} as {new_role}.")
        except UserError as exc:
            st.error(str(exc))

others = {u.username: u for u in store.list() if u.username != admin.username}
if others:
    st.subheader("Change a user")
    who, what = st.columns(2)
    username = who.selectbox("User", list(others))
    role = what.selectbox("New role", roles, key="new-role")
    new_password = st.text_input("New password (8 characters or more)", type="password", key="new-password")
    change, toggle, reset = st.columns(3)
    try:
        if change.button("Change role"):
            store.set_role(admin, username, role)
            done(f"{username} is now {role}.")
        if others[username].disabled:
            if toggle.button("Re-enable"):
                store.enable(admin, username)
                done(f"Re-enabled {username}.")
        elif toggle.button("Disable", type="secondary"):
            store.disable(admin, username)
            done(f"Disabled {username}: they can no longer sign in.")
        if reset.button("Reset password"):
            store.set_password(admin, username, new_password)
            done(f"Reset the password of {username}; they are signed out everywhere.")
    except (UserError, PermissionDenied) as exc:
        st.error(str(exc))

st.subheader("API keys")
keys = api_keys()
listed = keys.list(admin)
if not listed:
    st.caption("No API keys yet. A user makes one with `docent keys create NAME`.")
else:
    names, now = {u.id: u.username for u in store.list()}, utc_now()
    st.dataframe(pd.DataFrame([{"prefix": k.prefix, "user": names.get(k.user_id, k.user_id), "name": k.name,
                                "created": k.created_at, "expires": k.expires_at, "last used": k.last_used_at,
                                "status": k.status(now)} for k in listed]), hide_index=True, width="stretch")
    live = [k.prefix for k in listed if k.status(now) == "active"]
    if live:
        pick, act = st.columns([3, 1], vertical_alignment="bottom")
        prefix = pick.selectbox("Key", live)
        if act.button("Revoke key") and keys.revoke(admin, prefix):
            done(f"Revoked key {prefix}: programs using it are refused from their next request.")
