"""A folder of hostile files, built here, through the real pipeline: every file ends indexed or
quarantined with its reason, the rest of the batch is indexed, and no secret reaches the index."""

from __future__ import annotations

from docent.devtools.hostile import hostile_folder
from docent.workspace import Workspace

SECRET = "TOP-SECRET-TOKEN-7731"


def test_a_folder_of_hostile_files(settings, embedder, tmp_path):
    secret = tmp_path / "outside" / "credentials.txt"
    secret.parent.mkdir()
    secret.write_text(f"password: {SECRET}\n")
    docs = tmp_path / "docs"
    expected = hostile_folder(docs, secret)
    limited = settings.model_copy(update={"parsing": settings.parsing.model_copy(update={"max_chunks_per_doc": 200})})
    ws = Workspace(limited)
    ws.__dict__["embedder"] = embedder
    report = ws.ingest(str(docs))

    by_name = {u.rsplit("/", 1)[-1]: why for u, why in report.quarantined.items()}
    indexed = {u.rsplit("/", 1)[-1] for u in report.new}
    assert indexed | set(by_name) == {p.name for p in docs.iterdir()}
    assert indexed == {"note.md", "scan.png", "xxe.docx"}
    for name, words in {**expected, "wide.csv": "parsing.max_chunks_per_doc"}.items():
        assert words in by_name[name], (name, by_name[name])
    assert all(SECRET not in h.chunk.text for h in ws.retriever.search(f"password {SECRET}", k=10, mode="bm25"))
    assert "fire drill" in ws.retriever.search("when is the fire drill", k=1)[0].chunk.text
