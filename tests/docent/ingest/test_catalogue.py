"""The catalogue names a document by its source and its path within it, never by the server's folders."""

from __future__ import annotations

from pathlib import Path

from docent.ingest.catalogue import located


def test_a_document_is_named_by_its_source_and_its_path_within_it(tmp_path):
    docs, uploads = tmp_path / "srv" / "docs", tmp_path / "data" / "uploads"
    nested = (docs / "hr" / "leave policy.md").as_uri()  # percent-encoded: "leave%20policy.md"
    assert located(nested, [str(docs), str(uploads)]) == ("docs", "hr/leave policy.md")
    assert located((uploads / "q3.pdf").as_uri(), [str(docs), str(uploads)]) == ("uploads", "q3.pdf")


def test_the_innermost_source_wins_and_a_sibling_folder_is_not_inside():
    roots = ["/srv/docs", "/srv/docs/hr"]
    assert located(Path("/srv/docs/hr/a.md").as_uri(), roots) == ("hr", "a.md")
    assert located(Path("/srv/docs-old/a.md").as_uri(), roots) == ("", "a.md")


def test_remote_sources_and_single_file_sources():
    assert located("s3://bucket/reports/2024/q1.pdf", ["s3://bucket/reports/"]) == ("reports", "2024/q1.pdf")
    single = Path("/srv/one.pdf").as_uri()
    assert located(single, ["/srv/one.pdf"]) == ("one.pdf", "one.pdf")
