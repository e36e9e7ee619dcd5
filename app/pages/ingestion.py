"""Ingestion: what is indexed, what waits, what was quarantined and why; retry the quarantined;
which documents were read by OCR, and how confidently."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.auth import require_page
from app.resources import workspace
from docent.access import Action, allowed
from docent.ingest.sources import path_or_url

st.title("Ingestion")
user = require_page(Action.READ_INGESTION)
ws = workspace()

records = list(ws.manifest.all().values())
frame = pd.DataFrame(
    [{"document": path_or_url(r.source_uri), "status": r.status, "stage": r.stage or "", "reason": r.error or "",
      "chunks": r.chunks, "pages": r.pages, "OCR pages": r.ocr_pages,
      "OCR confidence": r.ocr_confidence, "notes": r.notes or "", "updated": r.updated_at} for r in records]
)
pending: list[str] = []
for root in ws.settings.sync.sources:
    try:
        pending += [path_or_url(f.uri) for f in ws.ingestor().plan(root).todo]  # plan reads; detect would write
    except Exception as exc:  # a source that cannot be listed is itself worth showing
        st.warning(f"Could not list {root}: {exc}")

indexed = int((frame["status"] == "indexed").sum()) if len(frame) else 0
quarantined = frame[frame["status"] == "quarantined"] if len(frame) else frame
last = frame["updated"].max() if len(frame) else None
cols = st.columns(4)
cols[0].metric("Indexed documents", indexed)
cols[1].metric("Chunks", int(frame["chunks"].sum()) if len(frame) else 0)
cols[2].metric("Pending", len(pending))
cols[3].metric("Quarantined", len(quarantined))
st.caption(f"Last change: {last:%Y-%m-%d %H:%M} UTC" if last is not None and pd.notna(last) else "Nothing ingested yet.")

if len(quarantined):
    st.subheader("Quarantined")
    st.dataframe(quarantined[["document", "stage", "reason", "updated"]], hide_index=True, width="stretch")
    if allowed(user, Action.MANAGE_INGESTION) and ws.settings.sync.sources:
        if st.button("Retry quarantined documents", icon=":material/refresh:"):
            with st.spinner("Ingesting…"):
                for root in ws.settings.sync.sources:
                    report = ws.ingest(root, retry_quarantined=True)
                    st.success(f"{root}: {len(report.new) + len(report.updated)} re-processed, "
                               f"{len(report.quarantined)} still quarantined")
scanned = frame[frame["OCR pages"].fillna(0) > 0] if len(frame) else frame
if len(scanned):
    st.subheader("Read by OCR")
    st.caption(f"Pages without a usable text layer, and pictures, are read by Tesseract (parsing.ocr: "
               f"{ws.settings.parsing.ocr}); a page below parsing.ocr_min_confidence "
               f"({ws.settings.parsing.ocr_min_confidence:g}) is kept and named in its notes.")
    st.dataframe(scanned[["document", "pages", "OCR pages", "OCR confidence", "notes"]], hide_index=True,
                 width="stretch", column_config={"OCR confidence": st.column_config.ProgressColumn(
                     "OCR confidence", min_value=0, max_value=100, format="%.0f")})
if pending:
    st.subheader("Pending")
    st.dataframe(pd.DataFrame({"document": pending}), hide_index=True, width="stretch")

st.subheader("Documents")
status = st.segmented_control("Status", ["all", "indexed", "quarantined"], default="all")
shown = frame if status in (None, "all") or not len(frame) else frame[frame["status"] == status]
st.dataframe(shown, hide_index=True, width="stretch")

st.subheader("Index versions")
st.dataframe(
    pd.DataFrame([{"version": v.version, "role": v.role or "", "backend": v.backend,
                   "model": f"{v.config['embedding']['model']}:{v.config['embedding']['backend']}",
                   "created": v.created_at, "built": v.built_at} for v in ws.versions.all()]),
    hide_index=True, width="stretch",
)
