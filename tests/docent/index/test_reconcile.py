"""Reconciliation: rows the manifest does not know are removed; a document with rows beyond (or
short of) what the manifest says is removed and indexed again, whole, by the next ingestion."""

from __future__ import annotations

import uuid
from dataclasses import replace

import numpy as np

from docent.index.reconcile import reconcile
from docent.ingest.chunk import doc_id_for
from docent.workspace import Workspace


def test_orphans_and_duplicates_made_on_purpose_are_mended(settings, embedder, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "leave.md").write_text("# Leave\n\nParental leave lasts sixteen weeks.\n\n# Travel\n\nHotels are capped at 180 euros.\n")
    (docs / "lab.md").write_text("# Lyon\n\nThe Lyon lab is led by Dr. Amel Haddad.\n")
    ws = Workspace(settings)
    ws.__dict__["embedder"] = embedder
    ws.ingest(str(docs))
    assert reconcile(ws.index, ws.manifest, 5).clean

    leave = doc_id_for((docs / "leave.md").as_uri())
    stored = ws.index.fetch({"doc_id": leave}, 100)
    vectors = np.zeros((len(stored), embedder.dim), dtype=np.float32)
    ws.index.upsert([replace(c, chunk_id=str(uuid.uuid4())) for c in stored], vectors)  # a second copy of the document
    stranger = str(uuid.uuid4())
    ws.index.upsert([replace(stored[0], chunk_id=str(uuid.uuid4()), doc_id=stranger)], vectors[:1])  # a row nobody knows

    seen = reconcile(ws.index, ws.manifest, 5, repair=False)
    assert seen.orphans == {stranger: 1}
    assert seen.damaged == {leave: (len(stored), 2 * len(stored))}
    assert ws.index.count() == ws.manifest.all()[leave].chunks * 2 + 1 + len(ws.index.chunk_ids(doc_id_for((docs / "lab.md").as_uri())))

    mended = reconcile(ws.index, ws.manifest, 5)
    assert mended.sources[leave].endswith("leave.md")
    assert ws.index.chunk_ids(stranger) == set() and ws.index.chunk_ids(leave) == set()
    again = ws.ingest(str(docs))
    assert again.new == [(docs / "leave.md").as_uri()]  # indexed again, whole
    assert reconcile(ws.index, ws.manifest, 5).clean
    assert "sixteen weeks" in ws.retriever.search("how long is parental leave", k=1)[0].chunk.text
