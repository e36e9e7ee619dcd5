import fsspec
import pytest

from docent.ingest.sources import SourceError, list_files, normalise_root, read_bytes


def test_local_folder_lists_files_as_absolute_uris_skipping_hidden(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "y.md").write_text("yy")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("z")
    (tmp_path / ".secret.txt").write_text("z")
    monkeypatch.chdir(tmp_path)
    files = list(list_files("."))
    assert [f.uri for f in files] == [(tmp_path / "a" / "x.txt").as_uri(), (tmp_path / "y.md").as_uri()]
    assert [f.size for f in files] == [1, 2] and all(f.mtime > 0 for f in files)
    assert read_bytes(files[1].uri) == b"yy"
    assert list(list_files(str(tmp_path / "y.md")))[0].name == "y.md"


def test_fsspec_urls_are_listed_with_their_protocol():
    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/docs/report.txt", b"hello")
    fs.pipe("/bucket/docs/deep/notes.md", b"# hi")
    uris = [f.uri for f in list_files("memory://bucket/docs")]
    assert uris == ["memory:///bucket/docs/deep/notes.md", "memory:///bucket/docs/report.txt"]
    assert read_bytes(uris[1]) == b"hello"


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such folder"):
        list(list_files(str(tmp_path / "missing")))
    assert normalise_root("s3://bucket/prefix/") == "s3://bucket/prefix"
