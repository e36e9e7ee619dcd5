"""Ingestion: what is indexed, what waits, what was quarantined and why; retry the quarantined; upload documents
and ingest them now, with progress; which documents were read by OCR, and how confidently.

Documents are named by their source and their path within it (:class:`docent.ingest.catalogue.Locator`), never by
the server's folders (nor are they in a quarantine's reason), and each links to its partition of the ``documents``
asset in Dagster (``app.dagster_url``), whose page shows the run that last materialized it. Uploads follow the API's
rules and limits, and are ingested into the live version as ``ingest=now`` does (:mod:`docent.ingest.uploads`).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pandas as pd
import streamlit as st

from app.auth import require_page
from app.render import flash, show_flash
from app.resources import workspace
from docent.access import Action, allowed
from docent.ingest.catalogue import Locator
from docent.ingest.pipeline import IngestReport, ProgressFn
from docent.ingest.sources import SourceError, display_name
from docent.ingest.uploads import (
    MAX_FILES,
    Upload,
    UploadRefused,
    ingest_uploads,
    max_upload_bytes,
    store,
    sync_roots,
    upload_dir,
)
from docent.store.locks import LockTimeout

st.title("Ingestion")
user = require_page(Action.READ_INGESTION)
show_flash()
NOTES = "ingestion-notes"  # what the last ingestion could not do (a source not listed, deletions held back)
for note in st.session_state.pop(NOTES, []):
    st.warning(note)
ws = workspace()
roots = sync_roots(ws.settings)  # the configured sources and, once it exists, the upload folder
locator = Locator(roots)  # once per run: it resolves the roots on disk
partition = f"{ws.settings.app.dagster_url.rstrip('/')}/assets/documents?partition="


Run = Callable[[str, Callable[[int], None], ProgressFn], IngestReport]  # (source, on_start, on_progress) -> report


def progress_bar(name: str) -> tuple[Callable[[int], None], ProgressFn]:
    """A progress bar for one source, and the two callbacks :meth:`Ingestor.run` moves it with."""
    bar, seen = st.progress(0.0, text=f"{name}: listing"), {"done": 0.0, "total": 0}

    def started(total: int) -> None:
        seen["total"] = total
        bar.progress(0.0 if total else 1.0, text=f"{name}: {total} documents to read")

    def moved(docs: float, chunks: int) -> None:
        seen["done"] += docs
        bar.progress(min(1.0, seen["done"] / max(seen["total"], 1)),
                     text=f"{name}: {seen['done']:.0f} of {seen['total']} documents")

    return started, moved


def ingest(sources: list[str], run: Run) -> None:
    """Ingest each of ``sources`` in this process with ``run`` (the core function the CLI or the API calls), with a
    progress bar per source; the outcome is confirmed after the rerun that shows it in the tables."""
    totals, notes = {"new": 0, "updated": 0, "removed": 0, "quarantined": 0}, []
    with st.status("Ingesting…", expanded=True) as status:
        for root in sources:
            name = display_name(root)
            started, moved = progress_bar(name)
            try:
                report = run(root, started, moved)
            except SourceError as exc:
                notes.append(str(exc))
                continue
            except LockTimeout:
                status.update(label="Another ingestion is writing the index", state="error")
                st.error("Another ingestion (Dagster's, or another person's) is writing the same index and did not "
                         "finish in time; what this one wrote is kept. Try again once it is done.")
                return
            for key, found in (("new", report.new), ("updated", report.updated), ("removed", report.deleted),
                               ("quarantined", report.failed)):
                totals[key] += len(found)
            if report.deletion_blocked:
                notes.append(f"{name}: {report.deletion_blocked}")
        status.update(label="Ingested", state="complete")
    st.session_state[NOTES] = notes  # shown after the rerun, beside the confirmation
    flash(f"Ingested: {totals['new']} new, {totals['updated']} updated, {totals['removed']} removed, "
          f"{totals['quarantined']} quarantined.")


def named(uri: str) -> dict[str, str]:
    source, document = locator.located(uri)
    return {"source": source, "document": document}


records = list(ws.manifest.all().values())
frame = pd.DataFrame(
    [{**named(r.source_uri), "status": r.status, "stage": r.stage or "",
      "reason": locator.redacted(r.error or "", r.source_uri),
      "chunks": r.chunks, "pages": r.pages, "OCR pages": r.ocr_pages,
      "OCR confidence": r.ocr_confidence, "notes": r.notes or "", "updated": r.updated_at,
      "Dagster": partition + quote(r.doc_id)} for r in records]
)
pending: list[dict[str, str]] = []
planner = ws.ingestor()  # one manifest read for every source
for root in roots:
    try:
        pending += [named(f.uri) for f in planner.plan(root).todo]  # plan reads; detect would write
    except Exception as exc:  # a source that cannot be listed is itself worth showing
        st.warning(f"Could not list {display_name(root)}: {exc}")

indexed = int((frame["status"] == "indexed").sum()) if len(frame) else 0
quarantined = frame[frame["status"] == "quarantined"] if len(frame) else frame
last = frame["updated"].max() if len(frame) else None
cols = st.columns(4)
cols[0].metric("Indexed documents", indexed)
cols[1].metric("Chunks", int(frame["chunks"].sum()) if len(frame) else 0)
cols[2].metric("Pending", len(pending))
cols[3].metric("Quarantined", len(quarantined))
st.caption(f"Last change: {last:%Y-%m-%d %H:%M} UTC" if last is not None and pd.notna(last) else "Nothing ingested yet.")
manager = allowed(user, Action.MANAGE_INGESTION)

if manager:
    folder = upload_dir(ws.settings)
    st.subheader("Upload documents")
    st.caption(f"Up to {MAX_FILES} files and {ws.settings.api.max_upload_mb:g} MB at a time (api.max_upload_mb), kept "
               "in the upload folder (sync.upload_dir), which the Dagster sensor watches beside the sources: its next "
               "tick ingests them, or ingest the folder now into the live index, as the API's ingest=now does.")
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Documents", accept_multiple_files=True)
        replace = st.checkbox("Replace a different file already uploaded under the same name")
        if st.form_submit_button("Upload these files", icon=":material/upload:"):
            try:
                chosen = [Upload(f.name, f) for f in files or []]
                kept = store(folder, chosen, replace, max_bytes=max_upload_bytes(ws.settings))
            except UploadRefused as exc:
                st.error(str(exc))
            else:
                if not kept:
                    st.warning("Choose one or more files first.")
                else:
                    said = {s: [k.name for k in kept if k.stored == s] for s in ("new", "replaced", "unchanged")}
                    flash("Uploaded " + "; ".join(f"{s}: {', '.join(n)}" for s, n in said.items() if n)
                          + ". Ingest the uploads now, or wait for the sensor's next tick.")
    if st.button("Ingest uploads now", type="primary", icon=":material/play_arrow:", disabled=not folder.is_dir()):
        ingest([str(folder)], lambda _, started, moved: ingest_uploads(
            ws.settings, ws.retriever.current(), on_start=started, on_progress=moved).report)

if len(quarantined):
    st.subheader("Quarantined")
    st.dataframe(quarantined[["source", "document", "stage", "reason", "updated"]], hide_index=True, width="stretch")
    if manager and st.button("Retry quarantined documents", icon=":material/refresh:"):
        ingest(roots, lambda root, started, moved: ws.ingest(
            root, retry_quarantined=True, on_start=started, on_progress=moved))
scanned = frame[frame["OCR pages"].fillna(0) > 0] if len(frame) else frame
if len(scanned):
    st.subheader("Read by OCR")
    st.caption(f"Pages without a usable text layer, and pictures, are read by Tesseract (parsing.ocr: "
               f"{ws.settings.parsing.ocr}); a page below parsing.ocr_min_confidence "
               f"({ws.settings.parsing.ocr_min_confidence:g}) is kept and named in its notes.")
    st.dataframe(scanned[["source", "document", "pages", "OCR pages", "OCR confidence", "notes"]], hide_index=True,
                 width="stretch", column_config={"OCR confidence": st.column_config.ProgressColumn(
                     "OCR confidence", min_value=0, max_value=100, format="%.0f")})
if pending:
    st.subheader("Pending")
    st.dataframe(pd.DataFrame(pending), hide_index=True, width="stretch")

st.subheader("Documents")
st.caption("Each document links to its partition of the documents asset in Dagster, whose page shows the run that "
           "last indexed it (app.dagster_url).")
status = st.segmented_control("Status", ["all", "indexed", "quarantined"], default="all")
shown = frame if status in (None, "all") or not len(frame) else frame[frame["status"] == status]
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"Dagster": st.column_config.LinkColumn("Dagster", display_text="partition")})

st.subheader("Index versions")
st.dataframe(
    pd.DataFrame([{"version": v.version, "role": v.role or "", "backend": v.backend,
                   "model": f"{v.config['embedding']['model']}:{v.config['embedding']['backend']}",
                   "created": v.created_at, "built": v.built_at} for v in ws.versions.all()]),
    hide_index=True, width="stretch",
)
