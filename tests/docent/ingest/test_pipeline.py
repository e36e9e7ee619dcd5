"""Incremental ingestion end to end: real parser processes, real model, real LanceDB and SQLite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docent.ingest.chunk import doc_id_for
from docent.workspace import Workspace


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "Team docs"  # spaces and accents in names: file URIs percent-encode them
    (root / "sub").mkdir(parents=True)
    (root / "leave.md").write_text("# Leave\n\nParental leave is sixteen weeks at full pay.\n\n## Sick leave\n\nTen sick days a year.\n")
    (root / "travel.txt").write_text("Hotels are capped at 180 euros per night in Lisbon and Oslo.\n")
    (root / "sub" / "offices ünï 100%.csv").write_text("city,staff\nLisbon,40\nOslo,12\n")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    (root / "empty.txt").write_bytes(b"")
    (root / ".hidden.txt").write_text("never indexed")
    return root


@pytest.fixture
def ws(settings, embedder) -> Workspace:
    w = Workspace(settings)
    w.__dict__["embedder"] = embedder  # the session's loaded model; same settings (torch)
    return w


def uris(paths) -> list[str]:
    return sorted(Path(p).as_uri() for p in paths)


def test_first_run_indexes_good_files_and_quarantines_bad_ones(ws, corpus):
    report = ws.ingest(str(corpus))
    assert sorted(report.new) == uris([corpus / "leave.md", corpus / "travel.txt", corpus / "sub" / "offices ünï 100%.csv"])
    assert set(report.quarantined) == set(uris([corpus / "broken.pdf", corpus / "empty.txt"]))
    assert all(reason for reason in report.quarantined.values())
    assert report.chunks == ws.index.count() >= 3
    hits = ws.retriever.search("how long is parental leave", k=1)
    assert hits[0].chunk.source_uri == (corpus / "leave.md").as_uri()
    assert "sixteen weeks" in hits[0].chunk.text
    status = {r.source_uri: r.status for r in ws.manifest.all().values()}
    assert status[(corpus / "broken.pdf").as_uri()] == "quarantined"


def test_rerun_on_unchanged_folder_parses_and_embeds_nothing(ws, corpus):
    ws.ingest(str(corpus))
    count = ws.index.count()
    again = ws.ingest(str(corpus))
    assert again.new == again.updated == again.deleted == [] and again.quarantined == {}
    assert len(again.unchanged) == 5 and again.embedded == 0 and again.chunks == 0
    assert ws.index.count() == count


def test_changed_file_is_reprocessed_alone_and_old_chunks_replaced(ws, corpus):
    ws.ingest(str(corpus))
    travel = corpus / "travel.txt"
    old_ids = ws.index.chunk_ids(doc_id_for(travel.as_uri()))
    travel.write_text("Hotels are now capped at 210 euros per night everywhere.\n")
    report = ws.ingest(str(corpus))
    assert report.updated == [travel.as_uri()] and report.new == []
    new_ids = ws.index.chunk_ids(doc_id_for(travel.as_uri()))
    assert new_ids and not (new_ids & old_ids)
    assert "210 euros" in ws.retriever.search("hotel cap per night", k=1, mode="bm25")[0].chunk.text


def test_touched_but_identical_file_is_not_reparsed(ws, corpus):
    ws.ingest(str(corpus))
    leave = corpus / "leave.md"
    os.utime(leave, (1_000_000_000, 1_000_000_000))
    report = ws.ingest(str(corpus))
    assert report.updated == [] and report.embedded == 0
    assert leave.as_uri() in report.unchanged
    assert ws.ingest(str(corpus)).unchanged.count(leave.as_uri()) == 1  # new mtime was recorded


def test_removed_file_leaves_the_index(ws, corpus):
    ws.ingest(str(corpus))
    offices = corpus / "sub" / "offices ünï 100%.csv"
    doc = doc_id_for(offices.as_uri())
    assert ws.index.chunk_ids(doc)
    offices.unlink()
    report = ws.ingest(str(corpus))
    assert report.deleted == [offices.as_uri()]
    assert ws.index.chunk_ids(doc) == set()
    assert doc not in ws.manifest.all()


def test_fixed_file_leaves_quarantine_and_broken_update_drops_old_chunks(ws, corpus):
    ws.ingest(str(corpus))
    (corpus / "empty.txt").write_text("Now there is content about the canteen menu.\n")
    report = ws.ingest(str(corpus))
    assert (corpus / "empty.txt").as_uri() in report.updated
    travel = corpus / "travel.txt"
    travel.write_bytes(b"")
    report = ws.ingest(str(corpus))
    assert travel.as_uri() in report.quarantined
    assert ws.index.chunk_ids(doc_id_for(travel.as_uri())) == set()


def test_oversized_file_is_quarantined_unread(ws, corpus):
    ws.settings.parsing.max_file_mb = 0.00001
    report = ws.ingest(str(corpus))
    assert len(report.quarantined) == 5
    assert "over the" in report.quarantined[(corpus / "leave.md").as_uri()]


def test_slow_file_times_out_and_the_run_goes_on(ws, corpus):
    big = corpus / "huge.html"
    row = "<tr>" + "<td>cell text here</td>" * 20 + "</tr>"
    big.write_text("<html><body><table>" + row * 20000 + "</table></body></html>")
    ws.settings.parsing.timeout_s = 1.0
    report = ws.ingest(str(corpus))
    assert "made no progress for 1 s at parsing (parsing.timeout_s)" in report.quarantined[big.as_uri()]
    assert (corpus / "leave.md").as_uri() in report.new


def test_a_table_is_embedded_by_its_labels_and_searched_by_its_figures(ws, corpus):
    from docent.ingest.table import labels_only

    ws.ingest(str(corpus))
    csv_id = doc_id_for((corpus / "sub" / "offices ünï 100%.csv").as_uri())
    [table] = ws.index.fetch({"doc_id": csv_id}, 10)
    assert "Lisbon | 40" in table.text and "40" not in labels_only(table.text).split("\n", 1)[1]
    labels, full = ws.embedder.encode([labels_only(table.text), table.text])
    [stored] = ws.index.search_dense(labels, 1, {"doc_id": csv_id})
    assert stored.dense_score > 0.999  # the vector stored is the labels' embedding
    assert float(full @ labels) < 0.999  # and the figures would have changed it
    assert ws.retriever.search("40", k=1, mode="bm25")[0].chunk.doc_id == csv_id  # BM25 keeps the figures


def test_labels_only_keeps_labels_and_years_and_leaves_prose_alone():
    from docent.ingest.table import labels_only

    text = ("Document: Contoso Ltd., FY2023 (c.pdf)\nBALANCE SHEETS — (In millions)\n| June 30, 2023 | 2022\n"
            "Total assets | $59,268 | (1,556)\nOther |  — | 12.5%\nRevenue grew 12% in 2023.")
    assert labels_only(text) == ("Document: Contoso Ltd., FY2023 (c.pdf)\nBALANCE SHEETS — (In millions)\n"
                                 "June 30, 2023 | 2022\nTotal assets\nOther\nRevenue grew 12% in 2023.")


def test_a_link_out_of_the_source_is_skipped_unread_and_its_target_never_indexed(ws, corpus, tmp_path):
    secret = tmp_path / "private" / "shadow.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0 the vault passphrase is correct-horse-battery-staple\n")
    (corpus / "notes.txt").symlink_to(secret)
    report = ws.ingest(str(corpus))
    link = (corpus / "notes.txt").as_uri()
    assert "outside the source" in report.skipped[link] and link not in report.failed
    record = ws.manifest.all()[doc_id_for(link)]
    assert (record.status, record.stage) == ("quarantined", "skipped")
    hits = ws.retriever.search("vault passphrase", k=10)
    assert hits and not any("passphrase" in h.chunk.text for h in hits)
    assert ws.ingest(str(corpus)).quarantined == {}  # unchanged on the next run: nothing read again


def test_a_document_over_the_chunk_limit_is_quarantined_before_embedding(ws, corpus):
    wide = corpus / "wide.csv"
    wide.write_text(",".join(f"column {i}" for i in range(3000)) + "\n" + ",".join(str(i) for i in range(3000)) + "\n")
    ws.settings.parsing.max_chunks_per_doc = 20
    report = ws.ingest(str(corpus))
    assert "(parsing.max_chunks_per_doc)" in report.quarantined[wide.as_uri()]
    assert ws.index.chunk_ids(doc_id_for(wide.as_uri())) == set()
    assert (corpus / "leave.md").as_uri() in report.new  # the rest of the batch goes on
    assert report.embedded == report.chunks  # nothing of the wide file was embedded


def test_a_file_that_vanishes_between_listing_and_parsing_is_quarantined_then_forgotten(ws, corpus):
    """As between the Dagster sensor's listing and the parse of its batch."""
    from docent.ingest.pipeline import IngestReport

    doomed = corpus / "doomed.md"
    doomed.write_text("# Doomed\n\nThis file is deleted before it is read.\n")
    ingestor, report = ws.ingestor(), IngestReport()
    plan = ingestor.plan(str(corpus))
    doomed.unlink()
    parsed = [f.uri for f, result in ingestor.parse(plan.todo) if ingestor.parsed(f, result, report)]
    assert doomed.as_uri() not in parsed and (corpus / "leave.md").as_uri() in parsed
    assert report.quarantined[doomed.as_uri()].startswith("read: cannot read file")
    later = ws.ingest(str(corpus))
    assert doomed.as_uri() in later.deleted and doc_id_for(doomed.as_uri()) not in ws.manifest.all()


def test_a_file_swapped_for_a_link_or_a_fifo_after_listing_is_not_read(ws, corpus, tmp_path):
    """The listing approved a regular file; what the parser opens later must still be that file."""
    from docent.ingest.pipeline import IngestReport

    secret = tmp_path / "private" / "vault.txt"
    secret.parent.mkdir()
    secret.write_text("the vault passphrase is correct-horse-battery-staple\n")
    swapped, piped = corpus / "swapped.md", corpus / "piped.md"
    swapped.write_text("# Plain\n\nAn ordinary note.\n")
    piped.write_text("# Plain\n\nAnother ordinary note.\n")
    ingestor, report = ws.ingestor(), IngestReport()
    plan = ingestor.plan(str(corpus))
    swapped.unlink()
    swapped.symlink_to(secret)  # the attacker's swap, after the sensor listed the folder
    piped.unlink()
    os.mkfifo(piped)
    for f, result in ingestor.parse(plan.todo):
        ingestor.parsed(f, result, report)
    assert "leads somewhere else than when it was listed" in report.quarantined[swapped.as_uri()]
    assert "no longer a regular file" in report.quarantined[piped.as_uri()]
