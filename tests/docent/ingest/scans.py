"""Pictures of text for the OCR tests: drawn with Pillow's own scalable font, so the expected words
are known exactly, then saved as the formats data teams' folders hold (PNG, JPEG, TIFF, scanned PDF)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

LINES = [
    "Supplier agreement between Northwind Traders and Contoso",
    "The monthly service fee is 4,250 euros, payable within 30 days.",
    "Either party may terminate with ninety days written notice.",
    "Signed in Rotterdam on the twelfth of March.",
]


def page(lines: list[str] = LINES, width: int = 2480, height: int = 3508, size: int = 42) -> Image.Image:
    """An A4 page at 300 dpi with ``lines`` in black on white, as a scanner gives it."""
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
