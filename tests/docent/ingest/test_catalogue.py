"""The catalogue names a document by its source and its path within it, never by the server's folders."""

from __future__ import annotations

from pathlib import Path

from docent.ingest import catalogue
from docent.ingest.catalogue import Locator


def test_a_document_is_named_by_its_source_and_its_path_within_it(tmp_path):
    docs, uploads = tmp_path / "srv" / "docs", tmp_path / "data" / "uploads"
    nested = (docs / "hr" / "leave policy.md").as_uri()  # percent-encoded: "leave%20policy.md"
    locator = Locator([str(docs), str(uploads)])
    assert locator.located(nested) == ("docs", "hr/leave policy.md")
    assert locator.located((uploads / "q3.pdf").as_uri()) == ("uploads", "q3.pdf")


def test_the_innermost_source_wins_and_a_sibling_folder_is_not_inside():
    locator = Locator(["/srv/docs", "/srv/docs/hr"])
    assert locator.located(Path("/srv/docs/hr/a.md").as_uri()) == ("hr", "a.md")
    assert locator.located(Path("/srv/docs-old/a.md").as_uri()) == ("", "a.md")


def test_remote_sources_and_single_file_sources():
    locator = Locator(["s3://bucket/reports/", "/srv/one.pdf"])
    assert locator.located("s3://bucket/reports/2024/q1.pdf") == ("reports", "2024/q1.pdf")
    # a remote key is not percent-encoded: "%20" in it is what the bucket holds (as the Dagster events name it)
    assert locator.located("s3://bucket/reports/100%20pct.pdf") == ("reports", "100%20pct.pdf")
    assert locator.located(Path("/srv/one.pdf").as_uri()) == ("one.pdf", "one.pdf")


def test_the_roots_are_normalised_once_not_per_document(monkeypatch):
    calls = []
    normalise = catalogue.normalise_root
    monkeypatch.setattr(catalogue, "normalise_root", lambda root: calls.append(root) or normalise(root))
    locator = Locator(["/srv/docs", "/srv/uploads"])
    for i in range(50):
        locator.located(Path(f"/srv/docs/{i}.md").as_uri())
    assert len(calls) == 2


def test_a_reason_names_the_document_and_its_source_as_located_never_by_server_paths(tmp_path):
    docs = tmp_path.resolve() / "srv" / "docs"
    uri = (docs / "hr" / "leave policy.pdf").as_uri()
    locator = Locator([str(docs)])
    reason = (f"parse: cannot open {docs / 'hr' / 'leave policy.pdf'} ({uri}); "
              f"libreoffice wrote nothing to {docs / 'hr'}")
    shown = locator.redacted(reason, uri)
    assert str(tmp_path) not in shown
    assert shown == ("parse: cannot open docs/hr/leave policy.pdf (docs/hr/leave policy.pdf); "
                     "libreoffice wrote nothing to docs/hr")
    elsewhere = tmp_path.resolve() / "old" / "a.md"
    assert Locator([str(docs)]).redacted(f"read: {elsewhere} vanished", elsewhere.as_uri()) == "read: a.md vanished"
    assert locator.redacted("parse: no text", uri) == "parse: no text"
