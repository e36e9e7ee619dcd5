"""Uploads: names, types by content, a refused request writes nothing, no silent overwrite, the watched roots."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docent.ingest.parse import PARSED_KINDS
from docent.ingest.signatures import HEADS
from docent.ingest.uploads import Upload, UploadRefused, checked_kind, checked_name, store, sync_roots, upload_dir
from docent.settings import Settings
from tests.pdf_writer import write_pdf

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "acme"
LIMIT = 2**20  # bytes of one upload (api.max_upload_mb is 50 by default)
PDF = write_pdf(["BT /F1 12 Tf 72 720 Td (Badges are renewed every year.) Tj ET\n"])


def upload(name: str, data: bytes) -> Upload:
    return Upload(name, io.BytesIO(data))


def test_every_format_ingestion_parses_has_a_content_check():
    assert set(HEADS) == PARSED_KINDS


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.pdf", "a\\b.pdf", "..\\x.md", "a\x00.md", ".hidden.md",
                                  "..", "", None, "x" * 260 + ".md", "line\nbreak.md"])
def test_a_name_with_a_path_or_a_leading_dot_is_refused(name):
    with pytest.raises(UploadRefused) as refused:
        checked_name(name)
    assert refused.value.reason == "bad_name" and "base name" in str(refused.value)


@pytest.mark.parametrize("name", ["report.pdf", "Q3 update (final).pptx", "résumé.docx", "notes..md"])
def test_plain_names_pass(name):
    assert checked_name(name) == name


@pytest.mark.parametrize("name, data", [
    ("fake.pdf", b"hello, I am not a PDF"), ("sheet.docx", (SAMPLES / "holiday-calendar-2026.xlsx").read_bytes()),
    ("notes.md", PDF), ("image.png", b"\xff\xd8\xff\xe0 a JPEG"), ("tool.exe", b"MZ\x90\x00"), ("README", b"text"),
    ("zip.docx", b"PK\x03\x04 not a real zip"), ("binary.txt", b"abc\x00\x01\x02"),
])
def test_content_that_is_not_what_the_name_says_is_refused(name, data):
    with pytest.raises(UploadRefused) as refused:
        checked_kind(name, io.BytesIO(data))
    assert refused.value.reason == "unsupported_type" and name in str(refused.value)


def test_real_files_pass_their_content_check_and_are_rewound():
    for path in SAMPLES.iterdir():
        file = io.BytesIO(path.read_bytes())
        assert checked_kind(path.name, file)
        assert file.tell() == 0
    assert checked_kind("memo.pdf", io.BytesIO(PDF)) == "pdf"
    assert checked_kind("utf16.txt", io.BytesIO("hé".encode("utf-16"))) == "txt"


def test_a_refused_request_writes_nothing(tmp_path: Path):
    folder = tmp_path / "uploads"
    with pytest.raises(UploadRefused):
        store(folder, [upload("good.md", b"# Good\n"), upload("fake.pdf", b"nope")], max_bytes=LIMIT)
    with pytest.raises(UploadRefused, match="several files named 'a.md'"):
        store(folder, [upload("a.md", b"one"), upload("a.md", b"two")], max_bytes=LIMIT)
    assert not folder.exists()


def test_stored_atomically_and_never_overwritten_silently(tmp_path: Path):
    folder = tmp_path / "uploads"
    (first,) = store(folder, [upload("memo.pdf", PDF)], max_bytes=LIMIT)
    assert (folder / "memo.pdf").read_bytes() == PDF and first.stored == "new" and first.kind == "pdf"
    assert first.uri == (folder / "memo.pdf").as_uri() and first.size == len(PDF)
    assert [p.name for p in folder.iterdir()] == ["memo.pdf"]  # no temporary file left
    assert store(folder, [upload("memo.pdf", PDF)], max_bytes=LIMIT)[0].stored == "unchanged"
    with pytest.raises(UploadRefused) as taken:
        store(folder, [upload("new.md", b"# New\n"), upload("memo.pdf", PDF + b"\n% changed")], max_bytes=LIMIT)
    assert taken.value.reason == "name_taken" and not (folder / "new.md").exists()
    assert (folder / "memo.pdf").read_bytes() == PDF
    (replaced,) = store(folder, [upload("memo.pdf", PDF + b"\n% changed")], replace=True, max_bytes=LIMIT)
    assert replaced.stored == "replaced" and (folder / "memo.pdf").read_bytes().endswith(b"% changed")


def test_the_upload_folder_is_watched_once_it_exists(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", sync={"sources": [str(tmp_path / "docs")]})
    assert upload_dir(settings) == (tmp_path / "data" / "uploads").resolve()
    assert sync_roots(settings) == [str(tmp_path / "docs")]
    store(upload_dir(settings), [upload("a.md", b"# A\n")], max_bytes=LIMIT)
    assert sync_roots(settings) == [str(tmp_path / "docs"), str(upload_dir(settings))]
    assert sync_roots(settings, ["s3://bucket/docs"]) == ["s3://bucket/docs", str(upload_dir(settings))]
    assert sync_roots(settings, [str(upload_dir(settings)) + "/"]) == [str(upload_dir(settings)) + "/"]  # not twice
    elsewhere = Settings(data_dir=tmp_path / "data", sync={"sources": [], "upload_dir": tmp_path / "elsewhere"})
    assert upload_dir(elsewhere) == tmp_path / "elsewhere" and sync_roots(elsewhere) == []
