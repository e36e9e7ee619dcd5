"""OCR with the real Tesseract: pictures and scanned PDF pages become searchable text, pages with a
text layer are never OCR'd, turned pages are straightened, and hostile pictures get a clear reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from docent.devtools.hostile import LINES, encoded, page, png_header, scanned_pdf
from docent.ingest import ocr, tools
from docent.ingest.parse import ParseError, parse_bytes
from docent.settings import ParseSettings
from tests.pdf_writer import escape, write_pdf


def words(doc) -> str:
    return " ".join(" ".join(e.text for e in doc.elements).split())


@pytest.mark.parametrize("fmt, name", [("PNG", "scan.png"), ("JPEG", "photo.jpg"), ("BMP", "fax.bmp"),
                                       ("WEBP", "shot.webp"), ("TIFF", "scan.tif")])
def test_a_picture_of_text_is_read(fmt: str, name: str) -> None:
    doc = parse_bytes(encoded(page(), fmt), name)
    text = words(doc)
    assert "monthly service fee is 4,250 euros" in text
    assert "Signed in Rotterdam" in text
    assert doc.scan.pages == doc.scan.ocr_pages == 1 and doc.scan.confidence > 80
    assert all(e.ocr is not None and e.ocr > 60 and e.page == 1 for e in doc.elements)


def test_a_multi_page_tiff_is_one_page_per_frame() -> None:
    second = page(["Annex two lists the delivery addresses in Delft."])
    doc = parse_bytes(encoded(page(), "TIFF", save_all=True, append_images=[second]), "scan.tiff")
    assert doc.scan.pages == 2
    assert [e.page for e in doc.elements if "Delft" in e.text] == [2]


def test_scanned_pdf_pages_are_read_and_turned_pages_straightened() -> None:
    upright = page()
    doc = parse_bytes(scanned_pdf(upright, upright.rotate(90, expand=True), upright.rotate(180)), "contract.pdf")
    assert doc.scan.ocr_pages == 3
    for number in (1, 2, 3):
        text = " ".join(e.text for e in doc.elements if e.page == number)
        assert "Northwind Traders" in text and "ninety days" in text, (number, text)
    assert any("page 2: turned 90°" in note for note in doc.scan.notes)
    assert any("page 3: turned 180°" in note for note in doc.scan.notes)


def test_only_the_pages_without_a_text_layer_are_ocrd() -> None:
    from pypdf import PdfReader, PdfWriter

    typed = write_pdf([f"BT /F1 12 Tf 72 720 Td ({escape('Quarterly report of the Lisbon office, with figures.')}) Tj ET\n"])
    writer = PdfWriter()
    for data in (typed, scanned_pdf(page()), typed):
        for p in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(p)
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = parse_bytes(buffer.getvalue(), "mixed.pdf")
    assert (doc.scan.pages, doc.scan.ocr_pages) == (3, 1)
    assert {e.page for e in doc.elements if e.ocr is not None} == {2}
    assert {e.page for e in doc.elements if "Lisbon" in e.text} == {1, 3}

    everything = parse_bytes(buffer.getvalue(), "mixed.pdf", ParseSettings(ocr="always"))
    assert everything.scan.ocr_pages == 3 and "Lisbon office" in words(everything)


def test_ocr_off_says_so_and_blank_pages_are_not_scans() -> None:
    with pytest.raises(ParseError, match=r"OCR is off \(parsing.ocr\)"):
        parse_bytes(scanned_pdf(page()), "scan.pdf", ParseSettings(ocr="off"))
    with pytest.raises(ParseError, match="OCR is off"):
        parse_bytes(encoded(page(), "PNG"), "scan.png", ParseSettings(ocr="off"))
    blank = Image.new("L", (2480, 3508), 255)
    with pytest.raises(ParseError, match="OCR found no text on 1 page"):
        parse_bytes(scanned_pdf(blank), "blank-scan.pdf")


def test_a_missing_language_names_its_debian_package() -> None:
    with pytest.raises(ParseError) as caught:
        parse_bytes(encoded(page(), "PNG"), "scan.png", ParseSettings(ocr_languages=["eng", "kli"]))
    assert "OCR language kli is not installed (Debian package tesseract-ocr-kli)" in caught.value.reason
    assert caught.value.stage == "tool"


def test_without_tesseract_scans_wait_for_it_and_text_pages_are_kept(tmp_path: Path, monkeypatch) -> None:
    """A machine without Tesseract: PATH holds only coreutils' timeout (a real absence, not a mock)."""
    (tmp_path / "timeout").symlink_to(tools.which("timeout"))
    monkeypatch.setenv("PATH", str(tmp_path))
    for cached in (tools.which, ocr.installed_languages):
        cached.cache_clear()
    try:
        with pytest.raises(ParseError) as caught:
            parse_bytes(scanned_pdf(page()), "scan.pdf")
        assert caught.value.stage == "tool"
        assert "needs tesseract (Debian package tesseract-ocr), which is not installed" in caught.value.reason
        typed = write_pdf([f"BT /F1 12 Tf 72 720 Td ({escape('A typed page stays readable.')}) Tj ET\n"])
        assert "typed page" in words(parse_bytes(typed, "typed.pdf"))
    finally:
        monkeypatch.undo()
        for cached in (tools.which, ocr.installed_languages):
            cached.cache_clear()


def test_an_image_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ParseError, match=r"image too large: 2,500,000,000 pixels"):
        parse_bytes(png_header(50_000, 50_000), "bomb.png")
    with pytest.raises(ParseError, match=r"image too large: 12,000 x 12,000 pixels"):  # under Pillow's own limit
        parse_bytes(png_header(12_000, 12_000), "big.png")


def test_a_tiff_with_a_corrupt_frame_keeps_the_others() -> None:
    second = page(["The second sheet is damaged in transit."])
    data = encoded(page(), "TIFF", save_all=True, append_images=[second], compression="tiff_lzw")
    picture = Image.open(io.BytesIO(data))
    picture.seek(1)
    damaged = bytearray(data)
    for offset, length in zip(picture.tag_v2[273], picture.tag_v2[279]):  # the second frame's strips
        damaged[offset:offset + length] = b"\xff" * length  # not LZW: the frame cannot be decoded
    doc = parse_bytes(bytes(damaged), "two-pages.tiff")
    assert "Northwind Traders" in words(doc)
    assert doc.scan.pages == 2 and any(note.startswith("page 2:") for note in doc.scan.notes)


def test_a_file_that_is_not_a_picture_gets_a_reason() -> None:
    with pytest.raises(ParseError, match="not a readable image"):
        parse_bytes(b"GIF89a this is not really a picture", "logo.gif")


def test_the_expected_lines_are_what_the_picture_shows() -> None:
    """Guards the fixture itself: every drawn line comes back whole."""
    text = words(parse_bytes(encoded(page(), "PNG"), "scan.png"))
    assert all(line in text for line in LINES)


def test_a_page_past_its_time_limit_is_named_and_a_scan_past_its_budget_stops() -> None:
    with pytest.raises(ParseError, match=r"OCR failed on every page \(page 1: OCR tesseract did not finish within 0.05 s\)"):
        parse_bytes(scanned_pdf(page()), "slow.pdf", ParseSettings(ocr_page_timeout_s=0.05))
    with pytest.raises(ParseError, match=r"OCR did not finish within parsing.ocr_timeout_s \(0.5 s\) after \d page\(s\); "
                                         r"raise it for long scans"):
        parse_bytes(scanned_pdf(*[page()] * 6), "long.pdf", ParseSettings(ocr_timeout_s=0.5))
