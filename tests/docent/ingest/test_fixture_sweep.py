"""Unstructured's own example documents through the real pipeline: each one ends indexed or
quarantined with a sensible reason, never as a crash or a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.workspace import Workspace

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "data" / "parser-fixtures" / "example-docs").resolve()

EXPECTED_QUARANTINE = {
    "empty.txt": "empty",
    "simple.doc": "LibreOffice",
    "password.pdf": "encrypted",
    "loremipsum-flat.pdf": "no text layer",
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
    records = ws.manifest.all().values()
    assert sum(r.chunks for r in records if r.status == "indexed") == ws.index.count() == report.chunks
    hit = ws.retriever.search("Norwich City football club", k=3, mode="bm25")
    assert any("norwich-city.txt" in h.chunk.source_uri for h in hit)
