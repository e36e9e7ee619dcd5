"""Review: claim an answer, check it against its sources, approve, correct or reject it."""

from __future__ import annotations

from datetime import datetime, time, timezone

import pandas as pd
import streamlit as st

from app import render
from app.auth import require_page
from app.resources import chat_service, review_queue
from docent.access import Action, PermissionDenied, allowed
from docent.ingest.identity import describe
from docent.ingest.sources import display_name
from docent.review import actions
from docent.review.queue import REASONS, ClaimLost

PER_PAGE = 25
REJECT_CATEGORIES = ["wrong", "unsupported", "incomplete", "harmful", "other"]

queue = review_queue()
service = chat_service()
store = service.store
user = require_page(Action.READ_REVIEW)
can_act = allowed(user, Action.DECIDE_REVIEW)

st.title("Review")
counts = queue.counts()
st.caption(" · ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "The queue is empty.")

with st.expander("Filters", expanded=False):
    c1, c2, c3 = st.columns(3)
    status = c1.selectbox("Status", ["pending", "approved", "rejected", "all"])
    reason = c2.selectbox("Reason", ["all", *REASONS])
    dates = c3.date_input("Created between", value=(), key="dates")
    c4, c5 = st.columns(2)
    model = c4.text_input("Model")
    version = c5.text_input("Index version")

filters = {
    "status": None if status == "all" else status,
    "reason": None if reason == "all" else reason,
    "model": model or None,
    "index_version": version or None,
}
if len(dates) == 2:
    filters["since"] = datetime.combine(dates[0], time.min, timezone.utc)
    filters["until"] = datetime.combine(dates[1], time.max, timezone.utc)
page = st.session_state.get("review-page", 1)
items, total = queue.list(**filters, page=page, per_page=PER_PAGE)
pages = max(1, -(-total // PER_PAGE))

table = pd.DataFrame([
    {"id": i.id, "created": i.created_at, "status": i.status, "reason": i.reason, "held": i.held,
     "question": i.question, "grounding": i.grounding_score, "claimed by": i.claimed_by or ""}
    for i in items
])
st.dataframe(table, hide_index=True, width="stretch")
left, mid, right = st.columns([1, 2, 1])
if left.button("Previous", disabled=page <= 1):
    st.session_state["review-page"] = page - 1
    st.rerun()
mid.caption(f"page {page} of {pages} · {total} items")
if right.button("Next", disabled=page >= pages):
    st.session_state["review-page"] = page + 1
    st.rerun()

if not items:
    st.stop()
chosen = st.selectbox("Open item", [i.id for i in items], index=None, placeholder="Pick an item to review",
                      format_func=lambda i: f"#{i} · {next(x.question for x in items if x.id == i)[:80]}")
if chosen is None:
    st.stop()
item = queue.get(chosen)
message = store.get_message(item.message_id)
retrieval = store.retrieval_for(item.message_id) or {}

st.divider()
st.subheader(f"Item {item.id}: {item.status}")
st.markdown(f"**Question.** {item.question}")
meta = f"model `{item.model}` · index `{item.index_version}` · reason **{item.reason}**"
meta += f" · grounding {item.grounding_score:.2f}" if item.grounding_score is not None else ""
meta += f" · top retrieval score {item.retrieval_score:.2f}" if item.retrieval_score is not None else ""
st.caption(meta + (" · served from cache" if item.cache_hit else ""))
st.markdown("**Answer**")
st.markdown(render.answer_text(item.answer, message.grounding if message else None))
if item.final_answer and item.final_answer != item.answer:
    st.markdown("**Approved text**")
    st.markdown(item.final_answer)

st.markdown("**Retrieved chunks** (cited spans highlighted)")
cited = {c["n"]: c for c in (message.citations or [])} if message else {}
for s in retrieval.get("sources") or []:
    text = s["text"]
    span = (cited[s["n"]].get("span") or cited[s["n"]]["snippet"].rstrip("…")) if s["n"] in cited else ""
    if span and span in text:
        text = text.replace(span, f":green-background[{span}]", 1)
    document = describe(s["text"])
    label = f"[{s['n']}] {display_name(s['source_uri'])}" + (f" · {document}" if document else "") \
        + f" · score {s['score']:.3f}" + (" · cited" if s["n"] in cited else "")
    with st.expander(label, expanded=s["n"] in cited):
        st.markdown(text)

with st.expander("Audit log"):
    st.dataframe(pd.DataFrame([a.__dict__ for a in queue.audit(item.id)]), hide_index=True, width="stretch")

if item.status != "pending":
    st.stop()
if not can_act:
    st.info("Only reviewers can claim and decide items.")
    st.stop()
now = datetime.now(timezone.utc)
mine = item.claimed_by == user.username and item.claim_expires_at and item.claim_expires_at > now
if not mine:
    taken = item.claimed_by and item.claim_expires_at and item.claim_expires_at > now
    if taken:
        st.warning(f"{item.claimed_by} is working on this item (until {item.claim_expires_at:%H:%M} UTC).")
    elif st.button("Claim", type="primary", icon=":material/pan_tool:"):
        if not queue.claim(item.id, user, lease_s=service.settings.review.lease_s):
            st.warning("Someone else claimed it first.")
        st.rerun()
    st.stop()

try:
    edited = st.text_area("Answer to approve (edit to correct it)", value=item.answer, height=160)
    a, b = st.columns(2)
    if a.button("Approve", type="primary", icon=":material/check:"):
        actions.approve(service.deps, queue, item.id, user, edited if edited.strip() != item.answer.strip() else None)
        st.success("Approved: the answer now serves as a curated answer and joins the golden set.")
        st.rerun()
    with b.popover("Reject", icon=":material/close:"):
        category = st.selectbox("Why", REJECT_CATEGORIES)
        note = st.text_area("Note")
        if st.button("Reject this answer"):
            queue.reject(item.id, user, category, note)
            st.rerun()
    if st.button("Release", icon=":material/undo:"):
        queue.release(item.id, user)
        st.rerun()
except (ClaimLost, PermissionDenied) as exc:
    st.error(str(exc))
