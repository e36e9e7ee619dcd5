"""Legacy office files through the real LibreOffice, and the time limit every external program
runs under (its whole process group killed, nothing left behind)."""

from __future__ import annotations

import io
import subprocess
import uuid

import pytest

from docent.ingest import office
from docent.ingest.parse import ParseError, parse_bytes
from docent.ingest.tools import ToolError, run


def _soffice(data: bytes, modern: str, legacy: str) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / f"in.{modern}"
        source.write_bytes(data)
        run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", legacy,
             "--outdir", work, str(source)], timeout_s=120, cwd=work, env={"HOME": work})
        return (Path(work) / f"in.{legacy}").read_bytes()


def test_a_doc_file_keeps_its_headings_and_text() -> None:
    docx = pytest.importorskip("docx")
    document, buffer = docx.Document(), io.BytesIO()
    document.add_heading("Travel policy", level=1)
    document.add_paragraph("Hotels in Oslo are capped at 1,900 kroner a night.")
    document.save(buffer)
    doc = parse_bytes(_soffice(buffer.getvalue(), "docx", "doc"), "policy.doc")
    texts = [e.text for e in doc.elements]
    assert "Hotels in Oslo are capped at 1,900 kroner a night." in texts
    assert any(e.section == ("Travel policy",) for e in doc.elements if "Oslo" in e.text)


def test_an_xls_file_keeps_its_table_and_a_ppt_its_slides() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    pptx = pytest.importorskip("pptx")
    book, buffer = openpyxl.Workbook(), io.BytesIO()
    book.active.append(["Region", "Revenue"])
    book.active.append(["Nordics", 48200])
    book.save(buffer)
    sheet = parse_bytes(_soffice(buffer.getvalue(), "xlsx", "xls"), "sales.xls")
    table = next(e for e in sheet.elements if e.category == "Table")
    assert "Nordics" in table.text and "48200" in table.text

    deck, buffer = pptx.Presentation(), io.BytesIO()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Roadmap"
    slide.placeholders[1].text = "Ship the Lisbon warehouse in May"
    deck.save(buffer)
    slides = parse_bytes(_soffice(buffer.getvalue(), "pptx", "ppt"), "plan.ppt")
    assert any("Lisbon warehouse" in e.text and e.section == ("Roadmap",) for e in slides.elements)


def test_a_corrupt_doc_gets_a_reason() -> None:
    with pytest.raises(ParseError, match="LibreOffice could not read this .doc file"):
        parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "report.doc")


def test_a_program_past_its_time_limit_is_killed_with_its_children() -> None:
    marker = f"{30 + uuid.uuid4().int % 1000 / 1000:.3f}"  # a sleep no other process runs
    with pytest.raises(ToolError, match="did not finish within 0.5 s"):
        run(["sh", "-c", f"sleep {marker} & sleep {marker}; wait"], timeout_s=0.5)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert left.stdout == "", "a child of the killed program is still running"


def test_a_missing_program_names_its_debian_package() -> None:
    with pytest.raises(ToolError) as caught:
        run(["docent-no-such-program"], timeout_s=1)
    assert caught.value.missing and "is not installed" in caught.value.reason


def test_a_conversion_past_its_time_limit_leaves_no_libreoffice_behind() -> None:
    docx = pytest.importorskip("docx")
    document, buffer = docx.Document(), io.BytesIO()
    document.add_paragraph("A document LibreOffice will not have time to convert.")
    document.save(buffer)
    legacy = _soffice(buffer.getvalue(), "docx", "doc")
    with pytest.raises(ToolError, match="soffice did not finish within 0.2 s"):
        office.convert(legacy, "doc", timeout_s=0.2)
    profile = str(office.profile_folder())
    left = subprocess.run(["pgrep", "-f", profile], capture_output=True, text=True)
    assert left.stdout == "", "a LibreOffice process of this conversion is still running"
