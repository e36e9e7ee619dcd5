"""A folder of hostile files, built here, through the real pipeline: every file ends indexed or
quarantined with its reason, the rest of the batch is indexed, and no secret reaches the index."""

from __future__ import annotations

import os

from docent.workspace import Workspace
from tests.docent.ingest.scans import encoded, page
from tests.docent.ingest.test_limits import _docx, _word
from tests.docent.ingest.test_ocr import _png_header

SECRET = "TOP-SECRET-TOKEN-7731"


def test_a_folder_of_hostile_files(settings, embedder, tmp_path):
    secret = tmp_path / "outside" / "credentials.txt"
    secret.parent.mkdir()
    secret.write_text(f"password: {SECRET}\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "linked.txt").symlink_to(secret)  # a link out of the source
    os.mkfifo(docs / "pipe.txt")  # reading it would block forever
    (docs / "bomb.docx").write_bytes(_docx(b"<w:document>" + b" " * (64 * 2**20) + b"</w:document>"))
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    (docs / "laughs.docx").write_bytes(_docx(_word(laughs, "Start &l9; end")))
    (docs / "xxe.docx").write_bytes(_docx(_word(f'<!ENTITY x SYSTEM "{secret.as_uri()}">', "Quarterly memo &x; end")))
    (docs / "deep.html").write_bytes(b"<html><body>" + b"<div>" * 50_000 + b"hidden" + b"</div>" * 50_000 + b"</body></html>")
    (docs / "wide.csv").write_text(",".join(f"c{i}" for i in range(60_000)) + "\n")
    (docs / "bomb.png").write_bytes(_png_header(50_000, 50_000))
    (docs / "scan.png").write_bytes(encoded(page(["The fire drill is on Thursday at ten."]), "PNG"))
    (docs / "empty.pdf").write_bytes(b"")
    (docs / "note.md").write_text("# Note\n\nThe canteen opens at noon.\n")
    limited = settings.model_copy(update={"parsing": settings.parsing.model_copy(update={"max_chunks_per_doc": 200})})
    ws = Workspace(limited)
    ws.__dict__["embedder"] = embedder
    report = ws.ingest(str(docs))

    by_name = {u.rsplit("/", 1)[-1]: why for u, why in report.quarantined.items()}
    indexed = {u.rsplit("/", 1)[-1] for u in report.new}
    assert indexed | set(by_name) == {p.name for p in docs.iterdir()}
    assert indexed == {"note.md", "scan.png", "xxe.docx"}
    expected = {"linked.txt": "outside the source", "pipe.txt": "not a regular file", "bomb.docx": "ZIP bomb",
                "laughs.docx": "entity amplification", "deep.html": "levels deep", "wide.csv": "parsing.max_chunks_per_doc",
                "bomb.png": "image too large", "empty.pdf": "empty"}
    for name, words in expected.items():
        assert words in by_name[name], (name, by_name[name])
    assert all(SECRET not in h.chunk.text for h in ws.retriever.search(f"password {SECRET}", k=10, mode="bm25"))
    assert "fire drill" in ws.retriever.search("when is the fire drill", k=1)[0].chunk.text
