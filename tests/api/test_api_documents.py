"""``/v1/documents`` over HTTP: the live index's documents by role, and uploads (checked, stored, ingested)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import ApiServer
from tests.e2e.conftest import clone_data
from tests.pdf_writer import escape, write_pdf

pytestmark = pytest.mark.slow
MEMO = "The Zephyr badge office on floor 9 opens at 7:45 every weekday."


def pdf(*lines: str) -> bytes:
    return write_pdf(["".join(f"BT /F1 12 Tf 72 {720 - 18 * i} Td ({escape(line)}) Tj ET\n" for i, line in enumerate(lines))])


@pytest.fixture(scope="module")
def docs_api(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Iterator[ApiServer]:
    """The API over its own copy of samples/acme (uploads change its index), uploads up to 2 MB, other bodies
    up to 1 MB (the default); mo is a member."""
    from docent.review.users import UserStore

    data = clone_data(acme_data, tmp_path_factory.mktemp("documents-api") / "data")
    UserStore(f"sqlite:///{data / 'docent.db'}").add("mo", "password-mo", "member")
    with ApiServer(data, env={"DOCENT_API__MAX_UPLOAD_MB": "2"}, startup_timeout=180) as server:
        yield server


def uploads(server: ApiServer) -> list[str]:
    folder = server.data_dir / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_reviewers_analysts_and_admins_list_the_documents_members_and_strangers_may_not(docs_api):
    assert docs_api.client().get("/v1/documents").status_code == 401
    refused = docs_api.client(docs_api.key("mo")).get("/v1/documents")
    assert refused.status_code == 403 and "reviewer" in refused.json()["error"]["message"]
    for username in ("alice", "ann", "root"):
        listed = docs_api.client(docs_api.key(username)).get("/v1/documents").json()
        names = {d["name"] for d in listed}
        assert {"travel-expense-policy.pdf", "employee-handbook.md", "onboarding-guide.docx"} <= names, username
        handbook = next(d for d in listed if d["name"] == "employee-handbook.md")
        assert handbook["status"] == "indexed" and handbook["chunks"] > 0 and handbook["reason"] is None
        assert handbook["source_uri"].startswith("file://") and handbook["updated_at"]
    with docs_api.client(docs_api.key("ann")) as client:
        assert len(client.get("/v1/documents", params={"limit": 2}).json()) == 2
        assert {d["status"] for d in client.get("/v1/documents", params={"status": "indexed"}).json()} == {"indexed"}
        for params in ({"status": "lost"}, {"limit": 0}):
            assert client.get("/v1/documents", params=params).status_code == 422


def test_an_upload_ingested_now_is_searchable_and_a_broken_one_is_quarantined_with_its_reason(docs_api):
    with docs_api.client(docs_api.key("alice")) as client:
        files = [("files", ("badge-office.pdf", pdf(*MEMO.split(" on ")), "application/pdf")),
                 ("files", ("parking.md", b"# Parking\n\nVisitor parking is in the Quokka garage, level -2.\n",
                            "text/markdown")),
                 ("files", ("torn.pdf", b"%PDF-1.7\nthis is not really a pdf", "application/pdf"))]
        response = client.post("/v1/documents", params={"ingest": "now"}, files=files)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ingest"] == "done"
        outcome = {f["name"]: f for f in body["files"]}
        assert outcome["badge-office.pdf"]["status"] == "indexed" and outcome["badge-office.pdf"]["chunks"] >= 1
        assert outcome["parking.md"]["status"] == "indexed" and outcome["parking.md"]["stored"] == "new"
        assert outcome["torn.pdf"]["status"] == "quarantined" and outcome["torn.pdf"]["reason"].startswith("parse: ")
        hits = client.get("/v1/search", params={"q": "When does the Zephyr badge office open?", "k": 3}).json()
        assert "7:45" in hits[0]["text"] and hits[0]["doc_id"] == outcome["badge-office.pdf"]["doc_id"]
        assert "Quokka" in client.get("/v1/search", params={"q": "Quokka garage", "mode": "bm25"}).json()[0]["text"]
        quarantined = client.get("/v1/documents", params={"status": "quarantined"}).json()
        assert [(d["name"], d["stage"]) for d in quarantined] == [("torn.pdf", "parse")] and quarantined[0]["reason"]
    assert uploads(docs_api) == ["badge-office.pdf", "parking.md", "torn.pdf"]


def test_an_upload_without_ingest_waits_in_the_upload_folder_for_the_sensor(docs_api):
    from docent.ingest.uploads import sync_roots
    from docent.settings import Settings

    body = b"# Canteen\n\nThe canteen serves breakfast until 10:00.\n"
    with docs_api.client(docs_api.key("root")) as client:
        response = client.post("/v1/documents", files={"files": ("canteen.md", body, "text/markdown")})
        assert response.status_code == 202, response.text
        assert response.json()["ingest"] == "next sensor tick"
        (stored,) = response.json()["files"]
        assert (stored["status"], stored["stored"], stored["size"]) == ("pending", "new", len(body))
        assert (docs_api.data_dir / "uploads" / "canteen.md").read_bytes() == body
        listed = {d["name"] for d in client.get("/v1/documents", params={"limit": 10_000}).json()}
        assert "canteen.md" not in listed  # not ingested yet
        settings = Settings(data_dir=docs_api.data_dir, sync={"sources": []})
        assert sync_roots(settings) == [str((docs_api.data_dir / "uploads").resolve())]  # the sensor's next tick

        again = client.post("/v1/documents", files={"files": ("canteen.md", body, "text/markdown")})
        assert again.status_code == 202 and again.json()["files"][0]["stored"] == "unchanged"
        changed = body.replace(b"10:00", b"10:30")
        taken = client.post("/v1/documents", files={"files": ("canteen.md", changed, "text/markdown")})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "name_taken"
        assert "replace=true" in taken.json()["error"]["message"]
        assert (docs_api.data_dir / "uploads" / "canteen.md").read_bytes() == body
        replaced = client.post("/v1/documents", params={"replace": "true"},
                               files={"files": ("canteen.md", changed, "text/markdown")})
        assert replaced.status_code == 202 and replaced.json()["files"][0]["stored"] == "replaced"
        assert (docs_api.data_dir / "uploads" / "canteen.md").read_bytes() == changed


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.md", "..\\..\\b.md", ".env.md", "/abs.md"])
def test_a_name_with_a_path_is_refused_and_nothing_is_written(docs_api, name):
    before = uploads(docs_api)
    with docs_api.client(docs_api.key("alice")) as client:
        response = client.post("/v1/documents", files=[("files", ("fine.md", b"# Fine\n", "text/markdown")),
                                                       ("files", (name, b"# Sneaky\n", "text/markdown"))])
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_name" and "base name" in response.json()["error"]["message"]
    assert uploads(docs_api) == before and not Path("/etc/passwd.md").exists()


def test_a_file_whose_content_is_not_its_type_is_refused_and_nothing_is_written(docs_api):
    before = uploads(docs_api)
    with docs_api.client(docs_api.key("root")) as client:
        for name, data in (("invoice.pdf", b"<html>not a PDF</html>"), ("tool.exe", b"MZ\x90\x00")):
            response = client.post("/v1/documents", files=[("files", ("ok.md", b"# OK\n", "text/markdown")),
                                                           ("files", (name, data, "application/pdf"))])
            assert response.status_code == 415, response.text
            assert response.json()["error"]["code"] == "unsupported_type" and name in response.json()["error"]["message"]
    assert uploads(docs_api) == before


def test_uploads_may_be_larger_than_other_bodies_up_to_their_own_limit(docs_api):
    before = uploads(docs_api)
    with docs_api.client(docs_api.key("alice")) as client:
        big = b"# Minutes\n\n" + b"The board met and agreed on nothing in particular.\n" * 45_000  # 2.3 MB
        refused = client.post("/v1/documents", files={"files": ("minutes.md", big, "text/markdown")})
        assert refused.status_code == 413 and "api.max_upload_mb" in refused.json()["error"]["message"]
        assert uploads(docs_api) == before
        accepted = client.post("/v1/documents", files={"files": ("minutes.md", big[:1_500_000], "text/markdown")})
        assert accepted.status_code == 202, accepted.text  # over api.max_body_mb (1 MB), under api.max_upload_mb
        question = client.post("/v1/messages", json={"question": "x" * 1_500_000})
        assert question.status_code == 413 and "api.max_body_mb" in question.json()["error"]["message"]


def test_members_and_strangers_may_not_upload_and_a_request_without_files_is_refused(docs_api):
    before = uploads(docs_api)
    file = {"files": ("members.md", b"# Members\n", "text/markdown")}
    assert docs_api.client().post("/v1/documents", files=file).status_code == 401
    refused = docs_api.client(docs_api.key("mo")).post("/v1/documents", files=file)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    refused = docs_api.client(docs_api.key("ann")).post("/v1/documents", files=file)  # analysts read, never manage
    assert refused.status_code == 403
    empty = docs_api.client(docs_api.key("alice")).post("/v1/documents", data={"files": "not a file"})
    assert empty.status_code == 422 and "files" in empty.json()["error"]["message"]
    assert uploads(docs_api) == before
