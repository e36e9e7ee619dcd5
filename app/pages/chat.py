"""Chat: ask (with a picture if need be), watch the answer stream with its sources, stop it, rate it."""

from __future__ import annotations

import textwrap
import time
from datetime import timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from app import render
from app.auth import require_page
from app.resources import chat_service, review_queue
from docent.access import Action
from docent.chat.service import ChatRequestError
from docent.chat.states import TERMINAL, State
from docent.chat.sync import iter_events
from docent.store.records import ConversationRecord

TITLE_CHARS = 40

service = chat_service()
user = require_page(Action.ASK)


def browser_zone() -> tzinfo:
    """The asker's time zone, as the browser reports it (UTC when it does not, or names one unknown here)."""
    try:
        return ZoneInfo(st.context.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def label(c: ConversationRecord, taken: set[str], zone: tzinfo) -> str:
    """The title cut at a word, with when it was last active (in the browser's time zone), and a number when two
    conversations would still read the same: each entry says which conversation it opens."""
    title = " ".join((c.title or "Untitled").split())
    short = textwrap.shorten(title, TITLE_CHARS, placeholder="…")
    if short == "…":  # one word longer than the width
        short = title[: TITLE_CHARS - 1] + "…"
    active = c.updated_at if c.updated_at.tzinfo else c.updated_at.replace(tzinfo=timezone.utc)
    text = f"{short} · {active.astimezone(zone):%-d %b %H:%M}"
    numbered, n = text, 1
    while numbered in taken:
        n += 1
        numbered = f"{text} ({n})"
    taken.add(numbered)
    return numbered


def open_conversation(conversation_id: str | None) -> None:
    """A click's callback: the state changes before the rerun draws the list, so the mark follows the click."""
    if conversation_id is None:
        st.session_state.pop("conversation", None)
    else:
        st.session_state.conversation = conversation_id


with st.sidebar:
    st.button("New conversation", icon=":material/add:", width="stretch", on_click=open_conversation, args=(None,))
    taken: set[str] = set()
    zone = browser_zone()
    for c in service.conversations(user, limit=30):
        current = c.id == st.session_state.get("conversation")
        st.button(label(c, taken, zone), key=f"conv-{c.id}", width="stretch", on_click=open_conversation, args=(c.id,),
                  type="primary" if current else "secondary", icon=":material/chevron_right:" if current else None,
                  help="The conversation open now" if current else None)

st.title("Chat")
conversation = st.session_state.get("conversation")


def rate(message_id: str) -> None:
    """Thumbs up or down, with an optional comment; a thumbs-down sends the answer to review."""
    vote = st.feedback("thumbs", key=f"vote-{message_id}")
    if vote is None:
        return
    comment = st.text_input("Comment (optional)", key=f"comment-{message_id}") if vote == 0 else None
    if st.session_state.get(f"voted-{message_id}") != (vote, comment):  # a vote is written once, not on every rerun
        st.session_state[f"voted-{message_id}"] = (vote, comment)
        st.session_state[f"sent-{message_id}"] = service.rate(user, message_id, 1 if vote == 1 else -1, comment or None)
        if comment and st.session_state[f"sent-{message_id}"] is not None:
            st.toast("Your comment was sent to the reviewers.", icon=":material/send:")
    if st.session_state.get(f"sent-{message_id}") is not None:
        st.caption("Thanks: your comment was sent; a reviewer will look at this answer." if comment
                   else "Thanks: a reviewer will look at this answer.")


def settled(record):
    """The record once its run has ended: a Stop click reruns the page at once (runner.fastReruns), while the
    stopped run is still unwinding, so its final state and partial text land a moment later."""
    deadline = time.monotonic() + 3
    while record.state not in TERMINAL and time.monotonic() < deadline:
        time.sleep(0.05)
        record = service.answer(user, record.id)
    return record


def show(record) -> None:
    record = settled(record)
    review = review_queue().for_message(record.id)
    with st.chat_message("assistant"):
        if review is not None and review.held and review.status == "pending":
            st.info("This answer is waiting for a reviewer. It will appear here once approved.", icon=":material/schedule:")
            return
        if review is not None and review.held and review.status == "rejected":
            st.warning(f"A reviewer rejected this answer ({review.reject_category}). Try asking differently.")
            return
        approved = review is not None and review.status == "approved"
        text = review.final_answer if approved and review.final_answer else record.content or ""
        st.markdown(render.answer_text(text, None if approved else record.grounding))
        approver = review.decided_by if approved else (record.metrics or {}).get("approved_by")
        if approver:
            st.caption(f":green[:material/verified: Approved by {approver}]")
        render.state_notice(record.state, record.error_code, text)
        render.sources(record.citations, key=record.id)
        if record.state == State.COMPLETED:
            rate(record.id)


pictures: dict[str, bytes] = st.session_state.setdefault("pictures", {})  # answer id -> picture (not stored)


def asked(question: str, picture: bytes | None) -> None:
    with st.chat_message("user"):
        st.markdown(question)
        if picture:
            st.image(picture, width=320, caption="attached picture: its text was read and searched")


if conversation:
    try:
        records = service.messages(user, conversation)
    except ChatRequestError:  # not this user's (another user signed in on this browser session): start afresh
        st.session_state.pop("conversation", None)
        conversation, records = None, []
    for i, record in enumerate(records):
        if record.role == "user":
            answer = records[i + 1].id if i + 1 < len(records) else None
            asked(record.content, pictures.get(answer))
        else:
            show(record)

PICTURES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "heic"]
refused = st.session_state.pop("refused", None)  # (what was typed, why it was refused) by the run before
if refused:
    st.session_state.ask = refused[0]  # back in the input: a refusal never wipes what was typed
    st.error(refused[1])
prompt = st.chat_input("Ask about your documents, or attach a picture (a screenshot, a photo of a page)",
                       key="ask", max_chars=service.settings.chat.max_question_chars, accept_file=True,
                       file_type=PICTURES)
if prompt:
    files = getattr(prompt, "files", None) or []
    picture = files[0].getvalue() if files else None
    typed = getattr(prompt, "text", prompt) or ""
    question = typed.strip() or ("What does this picture show?" if picture else "")
    try:
        message_id = service.start(user, question, conversation, picture=picture)
    except ChatRequestError as exc:
        st.session_state.refused = (typed, str(exc))
        st.rerun()
    st.session_state.conversation = service.answer(user, message_id).conversation_id
    if picture:
        pictures[message_id] = picture
    asked(question, picture)
    with st.chat_message("assistant"):
        st.button("Stop", key=f"stop-{message_id}", icon=":material/stop_circle:")  # a click reruns: the stream is cancelled
        events = iter_events(service, user, message_id)

        def tokens():
            for event in events:
                if event.kind == "token":
                    yield event.text

        try:
            st.write_stream(tokens())
        finally:
            events.close()  # a Stop click interrupts write_stream here: cancel now, not whenever the GC collects it

    service.finalizer.flush(5)  # grounding and citations land within milliseconds; show them
    st.rerun()
