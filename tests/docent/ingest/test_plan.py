"""The sync plan: stat-unchanged files are never read; the mass-deletion guard holds back deletions."""

from __future__ import annotations

import pytest

from docent.ingest.chunk import doc_id_for
from docent.ingest.manifest import DocumentRecord
from docent.ingest.plan import plan_sync
from docent.ingest.sources import SourceFile

ROOT = "file:///corpus"


def files(n: int, start: int = 0, mtime: float = 1.0) -> list[SourceFile]:
    return [SourceFile(f"{ROOT}/doc{i}.txt", 100, mtime) for i in range(start, start + n)]


def known(sources: list[SourceFile], status: str = "indexed") -> dict[str, DocumentRecord]:
    return {doc_id_for(f.uri): DocumentRecord(doc_id_for(f.uri), f.uri, "h", f.size, f.mtime, status) for f in sources}


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"sync": settings.sync.model_copy(update={"max_delete_share": 0.2, "guard_min_documents": 20})})


def test_unchanged_stat_is_skipped_and_changes_are_planned(settings):
    corpus = files(30)
    listing = corpus[:28] + [SourceFile(corpus[28].uri, 100, 2.0), *files(2, start=100)]
    plan = plan_sync(ROOT, listing, known(corpus), settings)
    assert [f.uri for f in plan.todo] == [corpus[28].uri] + [f.uri for f in files(2, start=100)]
    assert len(plan.unchanged) == 28
    assert [r.source_uri for r in plan.gone] == [corpus[29].uri] and plan.deletion_blocked is None


def test_deleting_more_than_the_share_deletes_nothing(settings):
    corpus = files(30)
    plan = plan_sync(ROOT, corpus[:23], known(corpus), settings)  # 7 of 30 = 23% > 20%
    assert plan.gone == []
    assert "7 of 30 documents" in plan.deletion_blocked and "--allow-mass-delete" in plan.deletion_blocked
    forced = plan_sync(ROOT, corpus[:23], known(corpus), settings, allow_mass_delete=True)
    assert len(forced.gone) == 7 and forced.deletion_blocked is None
    assert len(plan_sync(ROOT, corpus[:24], known(corpus), settings).gone) == 6  # 20% exactly is allowed


def test_small_sources_are_exempt_but_an_empty_listing_never_empties_the_index(settings):
    corpus = files(5)
    assert len(plan_sync(ROOT, corpus[:2], known(corpus), settings).gone) == 3
    empty = plan_sync(ROOT, [], known(corpus), settings)
    assert empty.gone == [] and "5 of 5" in empty.deletion_blocked


def test_other_roots_are_never_deleted(settings):
    mine, theirs = files(3), [SourceFile("file:///elsewhere/x.txt", 1, 1.0), SourceFile("file:///corpus2/y.txt", 1, 1.0)]
    plan = plan_sync(ROOT, mine, known(mine + theirs), settings)
    assert plan.gone == [] and plan.deletion_blocked is None


def test_oversize_files_are_quarantined_unread_and_quarantined_ones_retried_on_request(settings):
    big = SourceFile(f"{ROOT}/big.pdf", int(settings.parsing.max_file_mb * 2**20) + 1, 1.0)
    bad = files(1)
    plan = plan_sync(ROOT, [big, *bad], known(bad, status="quarantined"), settings)
    assert [f.uri for f, _ in plan.refused] == [big.uri] and "parsing.max_file_mb" in plan.refused[0][1]
    assert plan.todo == [] and plan.unchanged == bad
    assert plan_sync(ROOT, bad, known(bad, status="quarantined"), settings, retry_quarantined=True).todo == bad


def test_documents_waiting_for_a_program_are_tried_again_without_asking(settings):
    corpus = files(3)
    records = known(corpus, status="quarantined")
    waiting = doc_id_for(corpus[0].uri)
    records[waiting] = DocumentRecord(waiting, corpus[0].uri, "h", 100, 1.0, "quarantined",
                                      "an image file; OCR needs tesseract ...", 0, "tool")
    plan = plan_sync(ROOT, corpus, records, settings)
    assert [f.uri for f in plan.todo] == [corpus[0].uri]  # the corrupt ones wait for --retry-quarantined
    assert len(plan_sync(ROOT, corpus, records, settings, retry_quarantined=True).todo) == 3
