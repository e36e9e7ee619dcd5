import os
from pathlib import Path

import fsspec
import pytest

from docent.ingest.sources import SourceError, display_name, list_files, local_path, normalise_root, read_bytes


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


def test_names_with_spaces_accents_and_percent_signs_are_read_back(tmp_path):
    root = tmp_path / "Team docs"
    root.mkdir()
    (root / "ünï cødé 100%.md").write_text("# hi")
    uri = (root / "ünï cødé 100%.md").as_uri()
    assert "%20" in uri and "%25" in uri  # the URI is percent-encoded...
    [found] = list_files(str(root))
    assert found.uri == uri and found.name == display_name(uri) == "ünï cødé 100%.md"  # ...the name is not
    assert read_bytes(uri) == b"# hi" and local_path(uri) == root / "ünï cødé 100%.md"
    # a root given as a file URI, encoded or not, lists the same documents under the same URIs
    assert normalise_root(f"file://{root}/") == normalise_root(root.as_uri()) == normalise_root(str(root)) == root.as_uri()
    assert [f.uri for f in list_files(f"file://{root}")] == [uri]
    assert local_path("s3://bucket/a%20b.pdf") is None


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


def _refusals(root, **kwargs) -> dict[str, str]:
    return {f.name: f.refused for f in list_files(str(root), **kwargs)}


def test_links_out_of_the_source_and_special_files_are_refused(tmp_path):
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$secret")
    (tmp_path / "elsewhere" / "more.txt").write_text("outside")
    root = tmp_path / "source"
    (root / "sub").mkdir(parents=True)
    (root / "real.txt").write_text("inside")
    (root / "notes.txt").symlink_to(secret)  # a file link out of the source
    (root / "alias.txt").symlink_to(root / "real.txt")  # a link that stays inside
    (root / "sub" / "linked").symlink_to(secret.parent, target_is_directory=True)  # a folder link out
    os.mkfifo(root / "pipe.txt")

    default = _refusals(root)
    assert default["real.txt"] == default["alias.txt"] == ""
    assert "outside the source" in default["notes.txt"]
    assert "folders behind links are never listed" in default["linked"] and "shadow" not in default
    assert "FIFO" in default["pipe.txt"]

    never = _refusals(root, symlinks="never")
    assert never["real.txt"] == "" and "sync.symlinks is never" in never["alias.txt"]
    follow = _refusals(root, symlinks="follow")
    assert follow["notes.txt"] == "" and "FIFO" in follow["pipe.txt"]


def test_the_link_rule_holds_for_fsspec_sources_that_report_links(tmp_path):
    """A ``dir://`` view of a disk (a real fsspec filesystem) reports its links as SFTP and SMB do:
    a link out of the source is refused, links inside are read, and the policy applies the same."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "shadow").write_text("root:$6$secret")
    root = tmp_path / "src"
    (root / "deep").mkdir(parents=True)
    (root / "real.txt").write_text("inside")
    (root / "abs-out.txt").symlink_to(tmp_path / "out" / "shadow")
    (root / "rel-out.txt").symlink_to(Path("..") / "out" / "shadow")
    (root / "alias.txt").symlink_to("real.txt")
    (root / "deep" / "up.txt").symlink_to(Path("..") / "real.txt")
    (root / "deep" / "chain.txt").symlink_to(Path("..") / "alias.txt")
    options = {"path": str(tmp_path), "target_protocol": "file"}

    default = _refusals("dir://src", storage_options=options)
    assert default["real.txt"] == default["alias.txt"] == default["up.txt"] == ""
    assert "outside the source" in default["abs-out.txt"] and "outside the source" in default["rel-out.txt"]
    assert "another link" in default["chain.txt"]
    assert read_bytes("dir://src/deep/up.txt", options) == b"inside"
    never = _refusals("dir://src", storage_options=options, symlinks="never")
    assert never["real.txt"] == "" and all("sync.symlinks is never" in never[n] for n in ("alias.txt", "up.txt"))
    assert _refusals("dir://src", storage_options=options, symlinks="follow")["abs-out.txt"] == ""
