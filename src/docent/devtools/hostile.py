"""Files for tests and benchmarks of hostile input and scans, made here (nothing downloaded):
pictures of known text, scanned PDFs, a PNG that declares any size, DOCX files with any
``document.xml``, and a whole folder of hostile files with the reason each must be refused for."""

from __future__ import annotations

import binascii
import io
import os
import struct
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

LINES = [
    "Supplier agreement between Northwind Traders and Contoso",
    "The monthly service fee is 4,250 euros, payable within 30 days.",
    "Either party may terminate with ninety days written notice.",
    "Signed in Rotterdam on the twelfth of March.",
]
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def page(lines: list[str] = LINES, width: int = 2480, height: int = 3508, size: int = 42) -> Image.Image:
    """An A4 page at 300 dpi with ``lines`` in black on white, as a scanner gives it (Pillow's own font)."""
    picture = Image.new("L", (width, height), 255)
    draw, font = ImageDraw.Draw(picture), ImageFont.load_default(size=size)
    for i, line in enumerate(lines):
        draw.text((200, 300 + i * int(size * 1.8)), line, fill=0, font=font)
    return picture


def encoded(picture: Image.Image, fmt: str, **kw) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **kw)
    return buffer.getvalue()


def scanned_pdf(*pictures: Image.Image) -> bytes:
    """A PDF whose pages are only pictures (no text layer), as a scanner writes it."""
    first, *rest = [p.convert("RGB") for p in pictures]
    return encoded(first, "PDF", resolution=300.0, save_all=True, append_images=rest)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (and holds almost none): an image bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", binascii.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"x\x9c\x03\x00\x00\x00\x00\x01") + chunk(b"IEND", b"")


def docx(body_xml: bytes) -> bytes:
    """A DOCX whose document.xml is ``body_xml`` (deflated, as Word writes it)."""
    import docx as python_docx

    buffer = io.BytesIO()
    python_docx.Document().save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, body_xml if item.filename == "word/document.xml" else source.read(item))
    return out.getvalue()


def word(doctype: str, text: str) -> bytes:
    """A document.xml with a DOCTYPE (entities) and one run of text."""
    return (f'<?xml version="1.0"?><!DOCTYPE d [{doctype}]><w:document {_W}><w:body><w:p><w:r><w:t>{text}'
            "</w:t></w:r></w:p></w:body></w:document>").encode()


def billion_laughs() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return docx(word(entities, "Start &l9; end"))


def hostile_folder(docs: Path, secret: Path) -> dict[str, str]:
    """Fill ``docs`` with hostile files around ``secret`` (a file outside it); return, for each file
    that must be quarantined, words its reason contains. Two good files are added (a scan, a note),
    and a one-row CSV of 60,000 columns, which ``parsing.max_chunks_per_doc`` decides."""
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "linked.txt").symlink_to(secret)
    os.mkfifo(docs / "pipe.txt")
    (docs / "bomb.docx").write_bytes(docx(b"<w:document>" + b" " * (64 * 2**20) + b"</w:document>"))
    (docs / "laughs.docx").write_bytes(billion_laughs())
    (docs / "xxe.docx").write_bytes(docx(word(f'<!ENTITY x SYSTEM "{secret.as_uri()}">', "Quarterly memo &x; end")))
    (docs / "deep.html").write_bytes(b"<html><body>" + b"<div>" * 50_000 + b"hidden" + b"</div>" * 50_000 + b"</body></html>")
    (docs / "wide.csv").write_text(",".join(f"c{i}" for i in range(60_000)) + "\n")  # ~1,400 chunks
    (docs / "bomb.png").write_bytes(png_header(50_000, 50_000))
    (docs / "scan.png").write_bytes(encoded(page(["The fire drill is on Thursday at ten."]), "PNG"))
    (docs / "empty.pdf").write_bytes(b"")
    (docs / "note.md").write_text("# Note\n\nThe canteen opens at noon.\n")
    return {"linked.txt": "outside the source", "pipe.txt": "not a regular file", "bomb.docx": "ZIP bomb",
            "laughs.docx": "entity amplification", "deep.html": "levels deep", "bomb.png": "image too large",
            "empty.pdf": "empty"}
