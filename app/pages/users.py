"""Users (admins only): who may sign in, and as what.

Every change ends with a confirmation that survives the page's rerun (a toast, :func:`app.render.flash`);
the ones that take something away (a role change, disabling, revoking a key) ask first, naming what
they will do, and act only on "Yes".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.auth import require_page
from app.render import flash, show_flash
from app.resources import api_keys, users
from docent.access import Action, PermissionDenied, Role
from docent.review.users import UserError
from docent.store.records import utc_now

ASK = "users-ask"  # the change waiting for its "Yes": (kind, subject, value, question)

st.title("Users")
admin = require_page(Action.MANAGE_USERS)
store = users()
keys = api_keys()
show_flash()


def ask(kind: str, subject: str, value: str, question: str) -> None:
    """Hold a change until the admin confirms it: after the rerun, :func:`confirm_here` asks beside its button."""
    st.session_state[ASK] = (kind, subject, value, question)
    st.rerun()


def confirmed(kind: str, subject: str, value: str) -> str:
    """Make the change the admin just confirmed; what to tell them."""
    if kind == "role":
        store.set_role(admin, subject, value)
        return f"{subject} is now {value}."
    if kind == "disable":
        store.disable(admin, subject)
        return f"Disabled {subject}: they can no longer sign in."
    if not keys.revoke(admin, subject):
        return f"Key {subject} was already revoked."
    return f"Revoked key {subject}: programs using it are refused from their next request."


def confirm_here(*kinds: str) -> None:
    """The question of a held change of one of ``kinds``, with Yes and Cancel, where its button is."""
    if not (pending := st.session_state.get(ASK)) or pending[0] not in kinds:
        return
    kind, subject, value, question = pending
    with st.container(border=True):
        st.warning(question, icon=":material/warning:")
        yes, no = st.columns(2)
        if no.button("Cancel", key="ask-no"):
            st.session_state.pop(ASK)
            flash("Nothing changed.")
        if yes.button("Yes", type="primary", key="ask-yes"):
            st.session_state.pop(ASK)
            try:
                message = confirmed(kind, subject, value)
            except (UserError, PermissionDenied) as exc:
                st.error(str(exc))
            else:
                flash(message)


everyone = store.list()
st.dataframe(pd.DataFrame([{"username": u.username, "role": u.role, "disabled": u.disabled} for u in everyone]),
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
            added = store.add(username, password, new_role)
        except UserError as exc:
            st.error(str(exc))
        else:
            flash(f"Added {added.username} as {added.role}.")  # the rerun shows them in the table above

others = {u.username: u for u in everyone if u.username != admin.username}
if others:
    st.subheader("Change a user")
    who, what = st.columns(2)
    username = who.selectbox("User", list(others))
    person = others[username]
    role = what.selectbox("New role", roles, index=roles.index(person.role), key=f"new-role-{username}")
    change, toggle = st.columns(2)
    try:
        if change.button("Change role", disabled=role == person.role):
            ask("role", username, role, f"Change {username} from {person.role} to {role}? From their next click "
                f"they may do only what a {role} may.")
        if person.disabled:
            if toggle.button("Re-enable"):
                store.enable(admin, username)
                flash(f"Re-enabled {username}: they can sign in again.")
        elif toggle.button("Disable"):
            ask("disable", username, "", f"Disable {username}? They are refused from their next click and "
                "cannot sign in until an admin re-enables them.")
        confirm_here("role", "disable")
        with st.form("reset-password", clear_on_submit=True):
            new_password = st.text_input("New password (8 characters or more)", type="password", key="new-password")
            if st.form_submit_button("Reset password"):
                store.set_password(admin, username, new_password)
                flash(f"Reset the password of {username}; they are signed out everywhere.")
    except (UserError, PermissionDenied) as exc:
        st.error(str(exc))

st.subheader("API keys")
listed = keys.list(admin)
if not listed:
    st.caption("No API keys yet. A user makes one with `docent keys create NAME`.")
else:
    names, now = {u.id: u.username for u in everyone}, utc_now()
    st.dataframe(pd.DataFrame([{"prefix": k.prefix, "user": names.get(k.user_id, k.user_id), "name": k.name,
                                "created": k.created_at, "expires": k.expires_at, "last used": k.last_used_at,
                                "status": k.status(now)} for k in listed]), hide_index=True, width="stretch")
    live = [k.prefix for k in listed if k.status(now) == "active"]
    if live:
        pick, act = st.columns([3, 1], vertical_alignment="bottom")
        prefix = pick.selectbox("Key", live)
        if act.button("Revoke key"):
            ask("revoke", prefix, "", f"Revoke key {prefix}? Programs using it are refused from their next request; "
                "a revoked key cannot be restored.")
    confirm_here("revoke")

