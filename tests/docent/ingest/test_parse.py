"""parse_bytes: formats, encodings, section paths, pages, and a clear ParseError for bad input.

Every fixture is generated here (no shared data), so each test says what it relies on.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docent.ingest.parse import Element, ParsedDocument, ParseError, parse_bytes
from docent.settings import ParseSettings
from tests.pdf_writer import escape, write_pdf

ACCENTED = "Café crème brûlée costs 12 € – naïve résumé, Grüße aus München."


def texts(doc: ParsedDocument) -> str:
    return "\n".join(e.text for e in doc.elements)


def make_pdf(pages: list[list[str]], footer: str = "") -> bytes:
    """A minimal valid PDF: one Helvetica text line per string (and an optional footer line at
    the bottom of each page)."""
    contents = ["".join(f"BT /F1 12 Tf 72 {720 - 18 * i} Td ({escape(line)}) Tj ET\n" for i, line in enumerate(lines))
                + (f"BT /F1 8 Tf 72 40 Td ({escape(footer)}) Tj ET\n" if footer else "") for lines in pages]
    return write_pdf(contents)


# -- plain text and encodings -------------------------------------------------------------------

LATIN1 = ACCENTED.replace("€", "EUR").replace("–", "-")  # latin-1 has neither


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        pytest.param(ACCENTED.encode("utf-8"), ACCENTED, id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + ACCENTED.encode("utf-8"), ACCENTED, id="utf-8-bom"),
        pytest.param(ACCENTED.encode("utf-16"), ACCENTED, id="utf-16-bom"),
        pytest.param(b"\xfe\xff" + ACCENTED.encode("utf-16-be"), ACCENTED, id="utf-16-be-bom"),
        pytest.param(ACCENTED.encode("utf-16-le"), ACCENTED, id="utf-16-le-no-bom"),
        pytest.param(ACCENTED.encode("cp1252"), ACCENTED, id="cp1252"),
        pytest.param(LATIN1.encode("latin-1"), LATIN1, id="latin-1"),
    ],
)
def test_text_in_any_common_encoding_comes_back_exactly(encoded: bytes, expected: str) -> None:
    doc = parse_bytes(encoded, "note.txt")
    assert doc.file_type == "txt"
    assert texts(doc) == expected


def test_plain_text_paragraphs_become_elements_with_heading_sections() -> None:
    text = ("LEAVE POLICY\n\nEmployees accrue 25 days of paid leave per year.\n\n"
            "- Requests go through the HR portal\n- Managers approve within 3 days\n")
    doc = parse_bytes(text.encode(), "policy.txt")
    cats = [e.category for e in doc.elements]
    assert cats == ["Title", "NarrativeText", "ListItem", "ListItem"]
    assert all(e.section == ("LEAVE POLICY",) for e in doc.elements)
    assert doc.elements[2].text == "Requests go through the HR portal"
    assert all(e.page is None for e in doc.elements)


def test_small_text_files_parse_in_a_few_milliseconds() -> None:
    para = ("Employees accrue 2.08 days of paid leave per month of service. Requests go through "
            "the HR portal at least two weeks ahead of the first day off.\n\n")
    data = ("REMOTE WORK\n\n" + para * 12)[:1500].encode()
    parse_bytes(data, "warm-up.txt")
    start = time.perf_counter()
    for i in range(50):
        parse_bytes(data + str(i).encode(), f"{i}.txt")
    per_file = (time.perf_counter() - start) / 50
    assert per_file < 0.025, f"{per_file * 1000:.1f} ms per 1.5 kB file"


def test_long_single_line_paragraphs_parse_in_linear_time() -> None:
    """An abstract is one long line; a backtracking heading regex made this quadratic."""
    line = ("Microstructural development of cerebral white matter was assessed in vivo. " * 80).encode()
    parse_bytes(line, "warm-up.txt")
    start = time.perf_counter()
    for i in range(10):
        doc = parse_bytes(line + str(i).encode(), f"{i}.txt")
    per_file = (time.perf_counter() - start) / 10
    assert doc.elements and per_file < 0.025, f"{per_file * 1000:.1f} ms for a 6 kB line"


def test_parsing_never_loads_spacy_or_downloads_a_model() -> None:
    """unstructured would fetch en_core_web_sm from GitHub at first use; we must not."""
    code = ("import sys; from docent.ingest.parse import parse_bytes, preload; preload(); "
            "parse_bytes(b'Title\\n\\nThis is a sentence. So is this one.', 'a.txt'); "
            "parse_bytes(b'# H\\n\\nSome text here.', 'a.md'); "
            "assert 'spacy' not in sys.modules and 'torch' not in sys.modules, 'spaCy imported'")
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_underlined_plain_text_headings_open_sections() -> None:
    text = ("Opening hours\n-------------\nThe lab is open from 7:00 to 20:00.\n\n"
            "Emergencies\n===========\nDial 112 for the fire brigade.\n")
    doc = parse_bytes(text.encode(), "README.txt")
    assert [(e.category, e.text, e.section) for e in doc.elements] == [
        ("Title", "Opening hours", ("Opening hours",)),
        ("NarrativeText", "The lab is open from 7:00 to 20:00.", ("Opening hours",)),
        ("Title", "Emergencies", ("Emergencies",)),
        ("NarrativeText", "Dial 112 for the fire brigade.", ("Emergencies",)),
    ]


# -- structured formats -------------------------------------------------------------------------

def test_markdown_headings_become_section_paths() -> None:
    md = ("# Handbook\n\nWelcome to the company.\n\n## Leave\n\nLeave is generous.\n\n"
          "### Parental leave\n\nParents get 16 weeks of paid leave.\n\n"
          "## Travel\n\nBook trains for trips under 4 hours.\n")
    doc = parse_bytes(md.encode(), "handbook.md")
    by_text = {e.text: e for e in doc.elements}
    assert doc.file_type == "md"
    assert by_text["Welcome to the company."].section == ("Handbook",)
    assert by_text["Parents get 16 weeks of paid leave."].section == (
        "Handbook", "Leave", "Parental leave")
    assert by_text["Book trains for trips under 4 hours."].section == ("Handbook", "Travel")
    assert by_text["Parental leave"].category == "Title"


def test_csv_is_one_table_element_with_one_line_per_row() -> None:
    csv = "City,Staff,Opened\nBerlin,120,2015\nLyon,45,2019\n"
    doc = parse_bytes(csv.encode("cp1252"), "offices.csv")
    assert [e.category for e in doc.elements] == ["Table"]
    assert doc.elements[0].text.splitlines() == [
        "City | Staff | Opened", "Berlin | 120 | 2015", "Lyon | 45 | 2019"]


def test_docx_headings_paragraphs_and_table() -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Onboarding", level=1)
    document.add_paragraph("Your laptop is ready on day one.")
    document.add_heading("Equipment", level=2)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Item", "Budget"), ("Monitor", "300 EUR")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)

    doc = parse_bytes(buffer.getvalue(), "guide.docx")
    table_el = next(e for e in doc.elements if e.category == "Table")
    assert table_el.text == "Item | Budget\nMonitor | 300 EUR"
    assert table_el.section == ("Onboarding", "Equipment")
    assert next(e for e in doc.elements if e.text.startswith("Your laptop")).section == (
        "Onboarding",)


def test_pptx_pages_are_slides_and_each_slide_has_its_own_section() -> None:
    pptx = pytest.importorskip("pptx")
    deck = pptx.Presentation()
    for title, body in [("Q3 results", "Revenue grew 14%"), ("Hiring", "We hired 12 engineers")]:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    buffer = io.BytesIO()
    deck.save(buffer)

    doc = parse_bytes(buffer.getvalue(), "update.pptx")
    body = {e.text: e for e in doc.elements}
    assert (body["We hired 12 engineers"].page, body["We hired 12 engineers"].section) == (
        2, ("Hiring",))
    assert body["Revenue grew 14%"].section == ("Q3 results",)


def test_xlsx_sheets_are_pages_named_in_the_section() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Holidays"
    for row in [("Date", "Holiday"), ("2025-12-25", "Christmas Day")]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)

    doc = parse_bytes(buffer.getvalue(), "calendar.xlsx")
    assert [(e.category, e.page, e.section) for e in doc.elements] == [
        ("Table", 1, ("Holidays",))]
    assert "2025-12-25 | Christmas Day" in doc.elements[0].text


def test_html_honours_a_declared_cp1252_charset() -> None:
    html = ('<html><head><meta charset="windows-1252"></head><body><h1>Menü</h1>'
            "<p>Le café est à 2 € la tasse.</p></body></html>")
    doc = parse_bytes(html.encode("cp1252"), "faq.html")
    assert [(e.text, e.section) for e in doc.elements] == [
        ("Menü", ("Menü",)), ("Le café est à 2 € la tasse.", ("Menü",))]


def test_email_body_is_parsed_under_its_subject() -> None:
    eml = ("From: HR <hr@example.com>\nTo: all@example.com\nSubject: Office closed on Friday\n"
           "Date: Mon, 1 Dec 2025 09:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
           "The Berlin office is closed on Friday 5 December for maintenance.\n")
    doc = parse_bytes(eml.encode(), "notice.eml")
    assert doc.elements[0].section == ("Office closed on Friday",)
    assert "closed on Friday 5 December" in texts(doc)


def test_pdf_text_keeps_page_numbers() -> None:
    pdf = make_pdf([["Travel policy", "Economy class is the default for all flights."],
                    ["Expenses", "Receipts are required for every claim above 25 euros."]],
                   footer="Policy FIN-007 - Confidential")
    doc = parse_bytes(pdf, "policy.pdf")
    pages = {e.text: e.page for e in doc.elements}
    assert doc.file_type == "pdf"
    assert "Confidential" not in texts(doc)  # page footers are dropped
    assert pages["Economy class is the default for all flights."] == 1
    assert pages["Receipts are required for every claim above 25 euros."] == 2


def test_rtf_goes_through_pandoc_or_says_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    rtf = (rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard "
           rb"Expense reports are due within 30 days.\par}")
    from docent.ingest import parse

    if parse._has_pandoc():
        assert "due within 30 days" in texts(parse_bytes(rtf, "memo.rtf"))
    monkeypatch.setattr(parse, "_has_pandoc", lambda: False)
    with pytest.raises(ParseError, match="RTF needs pandoc, which is not installed"):
        parse_bytes(rtf, "memo.rtf")


def test_layout_strategies_need_unstructured_inference() -> None:
    try:
        import unstructured_inference  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("unstructured[pdf] is installed here")
    with pytest.raises(ParseError, match="unstructured_inference"):
        parse_bytes(make_pdf([["Some text."]]), "a.pdf", ParseSettings(strategy="hi_res"))


def test_unknown_extension_is_sniffed_from_content() -> None:
    pdf = make_pdf([["A sentence that is long enough to be narrative text."]])
    assert parse_bytes(pdf, "download.bin").file_type == "pdf"
    assert parse_bytes(b"Just some notes.\n", "NOTES").file_type == "txt"


# -- bad input: always ParseError with a reason -------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"  \n\t\n"], ids=["empty", "whitespace"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(ParseError, match="empty file"):
        parse_bytes(data, "empty.txt")


def test_corrupt_pdf_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="PDF") as caught:
        parse_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20, "broken.pdf")
    assert caught.value.reason


def test_pdf_without_text_layer_says_so() -> None:
    from pypdf import PdfWriter

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=612, height=792)
    writer.write(buffer)
    with pytest.raises(ParseError, match="no text layer"):
        parse_bytes(buffer.getvalue(), "scan.pdf")


def test_encrypted_pdf_needs_a_password() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["Secret salary bands"]]))))
    writer.encrypt(user_password="s3cret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(ParseError, match=r"encrypted PDF \(password required\)"):
        parse_bytes(buffer.getvalue(), "salaries.pdf")


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "LibreOffice"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a readable image"),
        ("broken.docx", b"PK\x03\x04 definitely not a zip archive", "DOCX"),
        ("broken.xlsx", b"not a spreadsheet at all", "XLSX"),
        ("broken.pptx", b"PK\x05\x06" + b"\x00" * 18, "PPTX"),
        ("noise.txt", bytes(range(256)) * 8, "binary"),
        ("archive.zip", b"PK\x05\x06" + b"\x00" * 18, "unsupported"),
    ],
)
def test_bad_or_unsupported_input_gives_a_reason(filename: str, data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_bytes(data, filename)
    assert reason in caught.value.reason
    assert " at 0x" not in caught.value.reason  # no object reprs: the same file gives the same reason


def test_truncated_office_files_never_raise_anything_but_parse_error() -> None:
    docx = pytest.importorskip("docx")
    document, buffer = docx.Document(), io.BytesIO()
    document.add_paragraph("Some text in a document that will be cut in half.")
    document.save(buffer)
    whole = buffer.getvalue()
    for cut in (10, len(whole) // 3, len(whole) // 2, len(whole) - 20):
        with pytest.raises(ParseError):
            parse_bytes(whole[:cut], "cut.docx")


def test_element_is_immutable() -> None:
    element = Element(text="x", category="Title", page=None, section=())
    with pytest.raises(AttributeError):
        element.text = "y"  # type: ignore[misc]


# -- the demo corpus ------------------------------------------------------------------------------

SAMPLES = Path(__file__).parents[3] / "samples" / "acme"


@pytest.mark.parametrize("path", sorted(SAMPLES.iterdir()), ids=lambda p: p.name)
def test_every_demo_document_parses(path: Path) -> None:
    doc = parse_bytes(path.read_bytes(), path.name)
    assert doc.elements and all(e.text.strip() for e in doc.elements)
    if doc.file_type in ("pdf", "pptx", "xlsx"):
        assert all(e.page for e in doc.elements)
    if doc.file_type in ("md", "html", "docx", "pdf", "pptx"):
        assert any(e.section for e in doc.elements)
