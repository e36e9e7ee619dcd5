"""Unstructured's own example documents through the real pipeline: each one ends indexed or
quarantined with a sensible reason, never as a crash or a hang; scans, pictures and a legacy
.doc are searchable by a phrase they contain (real Tesseract and LibreOffice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.workspace import Workspace

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "data" / "parser-fixtures" / "example-docs").resolve()

EXPECTED_QUARANTINE = {
    "empty.txt": "empty",
    "password.pdf": "encrypted",
}
FOUND_BY = {  # file: a phrase seen only in its picture (or, for .doc, through LibreOffice)
    "loremipsum-flat.pdf": "Curabitur eget lacus sollicitudin",
    "single_table.pdf": "mean chunks per document",
    "table-multi-row-column-cells.pdf": "Dexterity Mobility Low Vision",
    "double-column-A.jpg": "Extent of the competitive service",
    "layout-parser-paper-with-table.jpg": "Current layout detection models",
    "table-multi-row-column-cells.png": "Dexterity Mobility Low Vision",
    "simple.doc": "favorite things Parrots Hockey",
}


@pytest.mark.slow
@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"parser fixtures not found at {FIXTURES} (shared data beside the checkout)")
def test_every_fixture_is_indexed_or_quarantined(settings, embedder):
    ws = Workspace(settings)
    ws.__dict__["embedder"] = embedder
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.relative_to(FIXTURES).parts)]
    report = ws.ingest(str(FIXTURES))
    done = set(report.new) | set(report.quarantined)
    assert done == {p.as_uri() for p in files}
    for uri, reason in report.quarantined.items():
        assert reason and "parser failed" not in reason and "died" not in reason, (uri, reason)
    by_name = {uri.rsplit("/", 1)[-1]: reason for uri, reason in report.quarantined.items()}
    for name, words in EXPECTED_QUARANTINE.items():
        assert words in by_name.get(name, ""), (name, by_name.get(name))
    assert len(report.new) >= 45
    for name, phrase in FOUND_BY.items():
        hits = ws.retriever.search(phrase, k=10, mode="bm25")
        assert any(h.chunk.source_uri.endswith("/" + name) for h in hits), (name, phrase)
    records = ws.manifest.all().values()
    assert sum(r.chunks for r in records if r.status == "indexed") == ws.index.count() == report.chunks
    hit = ws.retriever.search("Norwich City football club", k=3, mode="bm25")
    assert any("norwich-city.txt" in h.chunk.source_uri for h in hit)
