"""How an answer looks: its text with unsupported sentences marked, and its numbered sources."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from docent.chat.states import State
from docent.generate.errors import MESSAGES
from docent.generate.local import NO_ANSWER
from docent.ingest.sources import local_path, path_or_url


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
