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
from docent.review.queue import REASONS, REJECT_CATEGORIES, ClaimLost
from docent.review.signals import EXPLAINED, readable

PER_PAGE = 25
UNSCORED = "—"
GROUNDING_HELP = ("Share of the answer's sentences its cited sources support (0–1). "
                  f"{UNSCORED} when not scored: answers served from the cache, or not grounded yet.")

queue = review_queue()
service = chat_service()
store = service.store
user = require_page(Action.READ_REVIEW)
can_act = allowed(user, Action.DECIDE_REVIEW)
feedback = service.deps.feedback
render.show_flash()

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

comments = feedback.comments_for(i.message_id for i in items) if feedback else {}  # one query for the page


def asker(username: str | None) -> str:
    """Who gave a vote, named for those who decide; analysts read the queue's quality, not who asked what."""
    if not can_act:
        return "An asker"
    return username or "An anonymous asker"


def said(message_id: str) -> str:
    """The askers' comments on an answer, each with who gave it."""
    return " · ".join(f"{f.comment} ({asker(f.username)})" for f in comments.get(message_id, []))


table = pd.DataFrame([
    {"id": i.id, "created": i.created_at, "status": f"{i.status} (held)" if i.held and i.status == "pending" else i.status,
     "reason": i.reason, "question": i.question, "asker's comment": said(i.message_id),
     "grounding": UNSCORED if i.grounding_score is None else f"{i.grounding_score:.2f}", "claimed by": i.claimed_by or ""}
    for i in items
])
if items:
    column = st.column_config  # minimum widths that fit the page beside the sidebar; every column grows to fill the rest
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "id": column.NumberColumn(width=40),
        "created": column.DatetimeColumn("created (UTC)", format="D MMM HH:mm", width=90),
        "status": column.TextColumn(width=105, help="held: the asker waits for a reviewer's decision to see the answer."),
        "reason": column.TextColumn(width=105),
        "question": column.TextColumn(width=190),
        "asker's comment": column.TextColumn(width=150, help="What the asker wrote with a thumbs-down, and who."),
        "grounding": column.TextColumn(width=75, help=GROUNDING_HELP),
        "claimed by": column.TextColumn(width=80),
    })
else:
    st.info("No items match the filters.", icon=":material/inbox:")
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
searched = retrieval.get("mode") or ""
mode = service.settings.retrieval.mode if searched.startswith("cache:") or not searched else searched
version = f"`{item.index_version}`" if item.index_version else f"{UNSCORED} (not recorded)"
grounding = UNSCORED if item.grounding_score is None else f"{item.grounding_score:.2f}"
st.caption(f"model `{item.model}` · index version {version} · reason **{item.reason}** · grounding {grounding}"
           f" · top source relevance {readable(item.retrieval_score, mode)}" + (" · served from cache" if item.cache_hit else ""),
           help=f"**Index version**: the built index the answer's sources came from"
                f"{' (for a cached answer, the version its cache entry was made on)' if item.cache_hit else ''}.\n\n"
                f"**Grounding**: {GROUNDING_HELP}\n\n**Top source relevance**: {EXPLAINED.get(mode, '')}"
                + (f" Raw {mode} score: {item.retrieval_score:.2f}." if item.retrieval_score is not None else ""))
votes = feedback.for_message(item.message_id) if feedback else []
for f in (v for v in votes if v.rating < 0):
    who = f"**{asker(f.username)}** gave a thumbs-down ({f.created_at:%Y-%m-%d %H:%M} UTC)"
    st.warning(f"{who}: “{f.comment}”" if f.comment else f"{who}, without a comment.", icon=":material/thumb_down:")
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
        + f" · relevance {readable(s['score'], mode)}" + (" · cited" if s["n"] in cited else "")
    with st.expander(label, expanded=s["n"] in cited):
        st.markdown(text)

with st.expander("Audit log"):
    render.audit_trail(queue.audit(item.id))

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
        if queue.claim(item.id, user, lease_s=service.settings.review.lease_s):
            st.rerun()
        st.warning("Someone else claimed it first.")
    st.stop()

try:
    edited = st.text_area("Answer to approve (edit to correct it)", value=item.answer, height=160)
    a, b = st.columns(2)
    if a.button("Approve", type="primary", icon=":material/check:"):
        corrected = edited if edited.strip() != item.answer.strip() else None
        actions.approve(service.deps, queue, item.id, user, corrected)
        render.flash(f"Item {item.id} {'corrected and ' if corrected else ''}approved: it now serves as a curated "
                     "answer and joins the golden set.")
    with b.popover("Reject", icon=":material/close:"):
        category = st.selectbox("Why", REJECT_CATEGORIES)
        note = st.text_area("Note")
        if st.button("Reject this answer"):
            st.session_state["reject-pending"] = (item.id, category, note)  # destructive: asked again below
    pending = st.session_state.get("reject-pending")
    if pending and pending[0] == item.id:
        st.warning(f"Reject item {item.id} as **{pending[1]}**? It cannot be undone: the answer becomes an example "
                   "of what not to answer, and a waiting asker is told it was rejected.")
        yes, no = st.columns(2)
        if yes.button("Yes, reject it", type="primary"):
            del st.session_state["reject-pending"]
            queue.reject(item.id, user, pending[1], pending[2])
            render.flash(f"Item {item.id} rejected ({pending[1]}).")
        if no.button("Cancel"):
            del st.session_state["reject-pending"]
            st.rerun()
    if st.button("Release", icon=":material/undo:"):
        if queue.release(item.id, user):
            render.flash(f"Item {item.id} released back to the queue.")
        st.warning(queue.why_not_held(item, user))
except (ClaimLost, PermissionDenied) as exc:
    st.error(str(exc))
