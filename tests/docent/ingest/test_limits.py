"""Hostile files stop at a limit with their reason, before a parser inflates or walks them."""

from __future__ import annotations

import io

import pytest

from docent.devtools.hostile import billion_laughs, docx, word
from docent.ingest.parse import ParseError, parse_bytes
from docent.settings import ParseSettings


def test_a_zip_bomb_docx_is_refused_before_it_is_inflated() -> None:
    bomb = docx(b"<w:document>" + b" " * (64 * 2**20) + b"</w:document>")  # 64 MB of spaces: ~64 KB deflated
    assert len(bomb) < 2**20
    with pytest.raises(ParseError, match=r"DOCX member 'word/document.xml' would inflate [\d,]+ times \(to 64 MB\), "
                                         r"over parsing.max_zip_ratio \(100\): a ZIP bomb\?"):
        parse_bytes(bomb, "invoice.docx")


def test_the_total_inflated_size_is_limited_too() -> None:
    docx = pytest.importorskip("docx")
    document, buffer = docx.Document(), io.BytesIO()
    document.add_paragraph("An ordinary document.")
    document.save(buffer)
    assert parse_bytes(buffer.getvalue(), "fine.docx").elements
    with pytest.raises(ParseError, match=r"DOCX would inflate to \d+ MB, over the 0.001 MB limit \(parsing.max_unzipped_mb\)"):
        parse_bytes(buffer.getvalue(), "fine.docx", ParseSettings(max_unzipped_mb=0.001))


def test_deeply_nested_html_says_why_instead_of_indexing_nothing() -> None:
    deep = b"<html><body>" + b"<div>" * 50_000 + b"The recipe uses cardamom." + b"</div>" * 50_000 + b"</body></html>"
    with pytest.raises(ParseError, match=r"HTML nested 50,002 levels deep, over the limit of 250"):
        parse_bytes(deep, "deep.html")
    sloppy = b"<html><body>" + b"<p>A paragraph left open." * 400 + b"<ul>" + b"<li>an item" * 400 + b"</ul></body></html>"
    assert len(parse_bytes(sloppy, "sloppy.html").elements) == 800  # unclosed <p> and <li> do not nest


def test_a_document_with_too_many_elements_is_quarantined_with_the_count() -> None:
    rows = "\n\n".join(f"Paragraph number {i} of a very long file." for i in range(50)).encode()
    assert len(parse_bytes(rows, "long.txt").elements) == 50
    with pytest.raises(ParseError, match=r"50 elements, over the limit of 10 \(parsing.max_elements_per_doc\)"):
        parse_bytes(rows, "long.txt", ParseSettings(max_elements_per_doc=10))


def test_an_xxe_docx_reads_no_file_of_the_host() -> None:
    doc = parse_bytes(docx(word('<!ENTITY x SYSTEM "file:///etc/passwd">', "Before &x; after")), "xxe.docx")
    text = " ".join(e.text for e in doc.elements)
    assert "Before" in text and "root:" not in text


def test_a_billion_laughs_docx_is_quarantined_not_expanded() -> None:
    with pytest.raises(ParseError, match="entity amplification"):
        parse_bytes(billion_laughs(), "laughs.docx")


def test_a_file_needing_more_memory_than_a_parser_may_use_is_quarantined_and_the_batch_goes_on(settings, embedder, tmp_path):
    from docent.workspace import Workspace

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "huge.txt").write_bytes(b"word " * (40 * 2**20))  # 200 MB of text, one paragraph
    (docs / "note.txt").write_text("The fire drill is on Thursday at ten.")
    limited = settings.model_copy(update={"parsing": settings.parsing.model_copy(
        update={"max_worker_memory_mb": 600, "max_file_mb": 500, "timeout_s": 120})})
    ws = Workspace(limited)
    ws.__dict__["embedder"] = embedder
    report = ws.ingest(str(docs))
    assert [u.rsplit("/", 1)[-1] for u in report.new] == ["note.txt"]
    (reason,) = report.quarantined.values()
    assert "parsing.max_worker_memory_mb" in reason, reason
