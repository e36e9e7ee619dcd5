"""One upload's limits (api.max_upload_mb of files together, MAX_FILES files) are the core's: the API and the
Ingestion page refuse the same uploads, before anything is written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docent.ingest import uploads
from docent.ingest.uploads import Upload, UploadRefused, max_upload_bytes, store
from docent.settings import Settings

NOTE = b"# Badges\n\nVisitor badges are renewed every year.\n"


def notes(count: int) -> list[Upload]:
    return [Upload(f"note-{i}.md", io.BytesIO(NOTE)) for i in range(count)]


def test_files_over_the_upload_size_together_are_refused_and_nothing_is_written(tmp_path: Path):
    with pytest.raises(UploadRefused) as refused:
        store(tmp_path, notes(3), max_bytes=2 * len(NOTE))
    assert refused.value.reason == "too_large" and "api.max_upload_mb" in str(refused.value)
    assert not list(tmp_path.iterdir())
    assert [s.name for s in store(tmp_path, notes(2), max_bytes=2 * len(NOTE))] == ["note-0.md", "note-1.md"]


def test_more_files_than_one_upload_may_hold_are_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES", 2)
    with pytest.raises(UploadRefused) as refused:
        store(tmp_path, notes(3), max_bytes=2**20)
    assert refused.value.reason == "too_many_files" and "at most 2" in str(refused.value)
    assert not list(tmp_path.iterdir())


def test_the_size_limit_is_the_apis_setting():
    assert max_upload_bytes(Settings(api={"max_upload_mb": 2})) == 2 * 2**20
