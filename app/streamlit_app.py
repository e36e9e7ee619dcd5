"""Docent's app: sign in, then the pages your role may use.

Run with ``docent app`` (or ``make up``, beside the Dagster UI).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `app.*` imports when run as a script

import streamlit as st  # noqa: E402
from streamlit import config  # noqa: E402

from app.auth import current_user, sign_in, sign_out  # noqa: E402
from docent.access import Action, allowed  # noqa: E402


def main() -> None:
    # Streamlit's full garbage collection after every run costs ~0.5 s per page with torch and litellm loaded.
    config.set_option("runner.postScriptGC", False)
    st.set_page_config(page_title="Docent", page_icon=":material/menu_book:", layout="wide")
    user = current_user()
    if user is None:
        st.navigation([st.Page(sign_in, title="Sign in", icon=":material/login:")]).run()
        return
    pages = [st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True)]
    if allowed(user, Action.READ_REVIEW):
        pages.append(st.Page("pages/review.py", title="Review", icon=":material/fact_check:"))
    if allowed(user, Action.READ_INGESTION):
        pages.append(st.Page("pages/ingestion.py", title="Ingestion", icon=":material/inventory_2:"))
    if allowed(user, Action.READ_EVALUATION):
        pages.append(st.Page("pages/evaluation.py", title="Evaluation", icon=":material/monitoring:"))
    if allowed(user, Action.MANAGE_USERS):
        pages.append(st.Page("pages/users.py", title="Users", icon=":material/group:"))
    with st.sidebar:
        st.caption(f"Signed in as **{user.username}** ({user.role})")
        st.button("Sign out", on_click=sign_out, key="sign-out")
    st.navigation(pages).run()


# Streamlit runs this file as __main__; a process that multiprocessing spawns from a server or test that
# ran the app re-executes it as __mp_main__, where it must only define, never render.
if __name__ == "__main__":
    main()
