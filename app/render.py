"""How an answer looks: its text with unsupported sentences marked, and its numbered sources."""

from __future__ import annotations

import html
from typing import NoReturn

import pandas as pd
import streamlit as st

from docent.chat.states import State
from docent.generate.errors import MESSAGES
from docent.generate.local import NO_ANSWER
from docent.ingest.sources import local_path, path_or_url
from docent.review.history import Change, answer_change, what
from docent.review.queue import ReviewAction


def answer_text(text: str, grounding: list[dict] | None) -> str:
    """Markdown of the answer; sentences flagged as unsupported by their sources are highlighted."""
    for g in grounding or []:
        if not g.get("supported") and g.get("sentence") and g["sentence"] in text:
            text = text.replace(g["sentence"], f":orange-background[{g['sentence']}] :orange[⚠ not supported by its sources]", 1)
    return text


def state_notice(state: str | None, code: str | None, text: str) -> None:
    if state == State.CANCELLED:
        st.caption("Stopped.")
    elif state == State.FAILED:
        st.error(MESSAGES.get(code or "", MESSAGES["internal"]))
    elif text.strip() == NO_ANSWER:
        st.info("Nothing in the indexed documents answers this. Try other words, or check the Ingestion page.")


def sources(citations: list[dict] | None, key: str) -> None:
    """One expander per cited source: file and page, which document (organisation, kind, period) and
    section, the sentence or table row that backs the claim, the file itself."""
    for c in citations or []:
        where = c["title"] + (f", page {c['page']}" if c.get("page") else "")
        with st.expander(f"[{c['n']}] {where}"):
            if c.get("document") or c.get("section"):
                st.caption(" · ".join(part for part in (c.get("document"), c.get("section")) if part))
            st.markdown(f"> {c['snippet']}")
            path = local_path(c["source_uri"])
            if path and path.is_file():
                st.download_button("Open the file", path.read_bytes(), file_name=path.name, key=f"{key}-{c['n']}")
            else:
                st.caption(path_or_url(c["source_uri"]))


def flash(message: str) -> NoReturn:
    """Keep an action's confirmation and rerun the page: a message shown before the rerun would vanish with it.
    The page calls :func:`show_flash` near its top to show it once, as a toast."""
    st.session_state["flash"] = message
    st.rerun()


def show_flash() -> None:
    """Show (once) the confirmation :func:`flash` kept for this run."""
    if message := st.session_state.pop("flash", None):
        st.toast(message, icon=":material/check_circle:")


def diff(changes: list[Change]) -> str:
    """HTML of a corrected answer: removed words struck through in red, added words in green."""
    style = {"removed": "<del style='color:#c62828'>{}</del>", "added": "<ins style='color:#2e7d32'>{}</ins>"}
    return "".join(style.get(c.op, "{}").format(html.escape(c.text)) for c in changes)


def audit_trail(actions: list[ReviewAction]) -> None:
    """Who did what and when, one row each; then each correction's before/after as a word diff."""
    if not actions:
        st.caption("Nothing has happened to this item yet.")
        return
    st.dataframe(pd.DataFrame([{"when": a.at, "who": a.actor, "what": what(a)} for a in actions]), hide_index=True,
                 width="stretch", column_config={
                     "when": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss", width="small"),
                     "who": st.column_config.TextColumn(width="small"),
                     "what": st.column_config.TextColumn(width="large")})
    for a in actions:
        if changes := answer_change(a):
            st.markdown(f"**{html.escape(a.actor)}'s correction** ({a.at:%Y-%m-%d %H:%M} UTC)")
            st.markdown(diff(changes), unsafe_allow_html=True)
