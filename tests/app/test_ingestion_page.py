"""The Ingestion page: documents named by their source and path within it (no server paths), each linked to its
Dagster partition; an admin uploads files into the upload folder (the API's rules) and ingests them, confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTE = b"# Visitor badges\n\nVisitor badges are renewed every year at the front desk.\n"


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def table_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_documents_are_named_by_source_and_path_and_link_to_their_dagster_partition(app, app_env):
    from docent.ingest.chunk import doc_id_for

    at = app("rita").switch_page("pages/ingestion.py").run()
    assert not at.exception, at.exception
    documents = table_with(at, "Dagster")
    server = str(Path(app_env["DOCENT_DATA_DIR"]).parent)
    assert server not in documents.drop(columns="Dagster").to_string()  # no server path anywhere
    broken = documents[documents["document"] == "broken scan.pdf"].iloc[0]
    assert (broken["source"], broken["status"]) == ("docs", "quarantined")
    doc_id = doc_id_for((Path(server) / "docs" / "broken scan.pdf").as_uri())
    assert broken["Dagster"] == f"http://127.0.0.1:3000/assets/documents?partition={doc_id}"


def test_an_analyst_reads_but_cannot_upload_or_ingest(app):
    at = app("ann").switch_page("pages/ingestion.py").run()
    assert not at.exception, at.exception
    assert not at.get("file_uploader") and not any(b.label in ("Upload these files", "Ingest uploads now") for b in at.button)


@pytest.fixture
def uploads(app_env):
    """The upload folder; afterwards its files leave the folder and the index, so other tests see the corpus."""
    folder = Path(app_env["DOCENT_DATA_DIR"]) / "uploads"
    yield folder
    from app.resources import workspace  # the page's own (process-wide) workspace, as the app's next run sees it

    for file in folder.glob("*"):
        file.unlink()
    workspace().ingest(str(folder), allow_mass_delete=True)


def test_an_admin_uploads_and_ingests_with_a_confirmation_of_each(app, uploads, monkeypatch):
    """"Ingest uploads now" runs what the API's ingest=now runs: into the live version, moving the progress bar."""
    from app.resources import workspace
    from docent.ingest import uploads as core

    runs, ingest_uploads = [], core.ingest_uploads

    def spied(settings, reader, stored=(), **progress):
        runs.append((reader.version, sorted(progress)))
        return ingest_uploads(settings, reader, stored, **progress)

    monkeypatch.setattr(core, "ingest_uploads", spied)
    at = app("ada").switch_page("pages/ingestion.py").run()
    at.get("file_uploader")[0].set_value(("badges.md", NOTE, "text/markdown"))
    next(b for b in at.button if b.label == "Upload these files").click().run()
    assert not at.exception, at.exception
    assert (uploads / "badges.md").read_bytes() == NOTE
    assert toasts(at) == ["Uploaded new: badges.md. Ingest the uploads now, or wait for the sensor's next tick."]
    pending = next(d.value for d in at.dataframe if list(d.value.columns) == ["source", "document"])
    assert pending.to_dict("records") == [{"source": "uploads", "document": "badges.md"}]

    next(b for b in at.button if b.label == "Ingest uploads now").click().run()
    assert not at.exception, at.exception
    assert toasts(at) == ["Ingested: 1 new, 0 updated, 0 removed, 0 quarantined."]
    assert runs == [(workspace().retriever.current().version, ["on_progress", "on_start"])]
    documents = table_with(at, "Dagster")
    row = documents[documents["document"] == "badges.md"].iloc[0]
    assert (row["source"], row["status"], row["chunks"] > 0) == ("uploads", "indexed", True)
    assert {m.label: m.value for m in at.metric}["Pending"] == "0"


def test_an_upload_the_api_would_refuse_is_refused_with_its_reason_and_writes_nothing(app, uploads):
    at = app("ada").switch_page("pages/ingestion.py").run()
    at.get("file_uploader")[0].set_value(("minutes.pdf", b"just text, not a PDF", "application/pdf"))
    next(b for b in at.button if b.label == "Upload these files").click().run()
    assert "is not a PDF file" in at.error[0].value and toasts(at) == []
    assert not list(uploads.glob("*"))


def test_a_different_file_under_a_taken_name_is_refused_unless_replace_is_ticked(app, uploads):
    at = app("ada").switch_page("pages/ingestion.py").run()
    for data in (NOTE, NOTE + b"Lost badges cost ten euros.\n"):
        at.get("file_uploader")[0].set_value(("badges.md", data, "text/markdown"))
        next(b for b in at.button if b.label == "Upload these files").click().run()
    assert "already holds a different document" in at.error[0].value
    assert (uploads / "badges.md").read_bytes() == NOTE
    at.get("file_uploader")[0].set_value(("badges.md", NOTE + b"Lost badges cost ten euros.\n", "text/markdown"))
    next(c for c in at.checkbox if c.label.startswith("Replace")).check()
    next(b for b in at.button if b.label == "Upload these files").click().run()
    assert toasts(at) == ["Uploaded replaced: badges.md. Ingest the uploads now, or wait for the sensor's next tick."]
    assert (uploads / "badges.md").read_bytes().endswith(b"ten euros.\n")


def test_an_upload_over_the_apis_limits_is_refused_with_its_reason_and_writes_nothing(app, uploads, monkeypatch):
    from app.resources import workspace
    from docent.ingest import uploads as core

    monkeypatch.setattr(workspace().settings.api, "max_upload_mb", len(NOTE) * 1.5 / 2**20)
    at = app("ada").switch_page("pages/ingestion.py").run()
    upload = next(b for b in at.button if b.label == "Upload these files")
    at.get("file_uploader")[0].set_value([("a.md", NOTE, "text/markdown"), ("b.md", NOTE, "text/markdown")])
    upload.click().run()
    assert "api.max_upload_mb" in at.error[0].value and toasts(at) == []
    monkeypatch.setattr(core, "MAX_FILES", 1)
    at.get("file_uploader")[0].set_value([("a.md", b"# A\n", "text/markdown"), ("b.md", b"# B\n", "text/markdown")])
    upload.click().run()
    assert "send at most 1 at a time" in at.error[0].value and toasts(at) == []
    assert not list(uploads.glob("*"))


@pytest.fixture
def lost(app_env):
    """A quarantined document whose reason names it, and its source, by their server paths (as parsers' errors
    do); its record leaves the manifest afterwards."""
    from app.resources import workspace
    from docent.ingest.chunk import doc_id_for
    from docent.ingest.manifest import DocumentRecord

    docs = Path(app_env["DOCENT_DATA_DIR"]).parent / "docs"
    uri = (docs / "hr" / "lost memo.pdf").as_uri()
    record = DocumentRecord(doc_id_for(uri), uri, "", 10, 0.0, "quarantined", stage="parse",
                            error=f"cannot open {docs / 'hr' / 'lost memo.pdf'}: no such file in {docs}")
    manifest = workspace().manifest
    manifest.save([record])
    yield str(docs.parent)
    manifest.delete([record.doc_id])


def test_a_quarantine_reason_names_the_document_as_located_never_by_server_paths(app, lost):
    at = app("rita").switch_page("pages/ingestion.py").run()
    assert not at.exception, at.exception
    quarantined = next(d.value for d in at.dataframe if "reason" in d.value.columns and "status" not in d.value.columns)
    row = quarantined[quarantined["document"] == "hr/lost memo.pdf"].iloc[0]
    assert row["reason"] == "cannot open docs/hr/lost memo.pdf: no such file in docs"
    assert lost not in table_with(at, "Dagster").drop(columns="Dagster").to_string()
