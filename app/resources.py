"""What every page shares, created once per server process (``st.cache_resource``).

Pages stay thin: they call the core through these objects and never build their own.
"""

from __future__ import annotations

import streamlit as st

from docent.settings import load_settings


@st.cache_resource(show_spinner="Loading the index and the embedding model…")
def workspace():
    from docent.workspace import Workspace

    ws = Workspace(load_settings())
    ws.chat.warm_up()
    return ws


def chat_service():
    return workspace().chat


@st.cache_resource
def users():
    from docent.review.users import UserStore

    return UserStore(workspace().settings.state_url)


@st.cache_resource
def api_keys():
    from docent.review.api_keys import ApiKeys

    return ApiKeys(workspace().settings.state_url)


@st.cache_resource
def sessions():
    """The session store; built from the settings alone, so the sign-in check never waits for the index."""
    from docent.review.sessions import Sessions

    return Sessions.for_settings(load_settings())


@st.cache_resource
def review_queue():
    from docent.review.queue import ReviewQueue

    settings = workspace().settings
    return ReviewQueue(settings.state_url, golden_set=settings.review.golden_set)

