"""PDF pages read with PDFium (pypdfium2): each page's chars, text lines and drawn rules.

Why PDFium and not pdfminer.six: on long filings pdfminer's layout analysis costs 0.45-0.7 s a
page (a 160-page annual report took 117 s, the 41 FinanceBench filings ~37 minutes), while
PDFium, a C++ library, reads the same pages with every char's box, size and weight in ~40 ms.
PDFium also orders text by the content stream and marks line breaks, which is the reading order
of the reports this is for; a two-column page keeps its columns because they are written one
after the other.

A page gives :data:`~docent.ingest.pdf_tables.Char` tuples (top-down points) for the table
finder, :class:`Line` objects for the prose, and pdfplumber-style edges from its path objects.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docent.ingest.pdf_tables import Char
from docent.ingest.progress import tick

if TYPE_CHECKING:
    from PIL.Image import Image

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.I)
_BREAKS = "\r\n"
_MIN_SIZE = 2.0  # points


class EncryptedPDF(Exception):
    """The PDF needs a password."""


@dataclass
class Line:
    """One text line in reading order: its box (top-down points), text and style."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    size: float
    bold: bool
    chars: list[Char] = field(default_factory=list, repr=False)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    chars: list[Char]
    lines: list[Line]
    edges: list[dict[str, Any]]
    image_cover: float = 0.0  # share of the page that pictures cover (a scan's is about 1)
    picture: Image | None = None  # the page rendered, when it is to be OCR'd


def read_pages(data: bytes, render: Callable[[Page], bool] | None = None, dpi: int = 300) -> Iterator[Page]:
    """Every page of a PDF, one at a time (a page's C objects are closed before the next); a page
    that ``render`` picks also comes as a picture at ``dpi``."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPDF("encrypted PDF (password required)") from exc
        raise
    try:
        for index in range(len(pdf)):
            tick(f"page {index + 1} of {len(pdf)}")
            page = pdf[index]
            try:
                read = _read(page, index + 1)
                if render is not None and render(read):
                    read.picture = _picture(page, dpi)
                yield read
            finally:
                page.close()
    finally:
        pdf.close()


def _read(page: Any, number: int) -> Page:
    import pypdfium2.raw as raw

    left, bottom, right, top = page.get_bbox()
    width, height = right - left, top - bottom
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n) if n else ""
        handle, rect = textpage.raw, raw.FS_RECTF()
        fonts: dict[int | None, bool] = {}
        chars: list[Char] = []
        lines: list[Line] = []
        current: list[Char] = []
        for i, ch in enumerate(text[:n]):
            if ch in _BREAKS:
                _close(current, lines)
                current = []
                continue
            if not ch.strip():
                current.append((0.0, 0.0, 0.0, 0.0, " ", 0.0, False))
                continue
            raw.FPDFText_GetLooseCharBox(handle, i, rect)
            size = rect.top - rect.bottom
            if size < _MIN_SIZE:  # invisible text (hidden tags, white 1-point search aids)
                continue
            c = (rect.left - left, rect.right - left, top - rect.top, top - rect.bottom, ch, size,
                 _bold(raw, handle, i, fonts))
            current.append(c)
            if abs(raw.FPDFText_GetCharAngle(handle, i)) < 0.01:  # upright: rotated text is no table
                chars.append(c)
        _close(current, lines)
    finally:
        textpage.close()
    return Page(number, width, height, chars, lines, _edges(page, left, top), _image_cover(page, width * height))


def _picture(page: Any, dpi: int) -> Image:
    """The page rendered in colour (see :mod:`docent.ingest.ocr`), as a picture of its own: the
    bitmap is closed at once, or the document would keep every page's bitmap until it is closed."""
    bitmap = page.render(scale=dpi / 72)
    try:
        return bitmap.to_pil().copy()
    finally:
        bitmap.close()


def _image_cover(page: Any, area: float) -> float:
    """How much of the page its pictures cover (overlaps counted twice, capped at 1)."""
    import pypdfium2.raw as raw

    covered = 0.0
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        covered += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return min(1.0, covered / area) if area > 0 else 0.0


def _bold(raw: Any, handle: Any, i: int, fonts: dict[int | None, bool]) -> bool:
    """Whether char ``i`` is set in a bold font: the font's weight, else its name; once per font."""
    font = raw.FPDFTextObj_GetFont(raw.FPDFText_GetTextObject(handle, i))
    key = ctypes.cast(font, ctypes.c_void_p).value
    if key not in fonts:
        weight = raw.FPDFFont_GetWeight(font) if key else -1
        buf = ctypes.create_string_buffer(128)
        if key:
            raw.FPDFFont_GetBaseFontName(font, buf, 128)
        fonts[key] = weight >= 600 or bool(_BOLD_NAME.search(buf.value.decode("utf-8", "replace")))
    return fonts[key]


def _close(chars: list[Char], lines: list[Line]) -> None:
    """One line from a run of chars (spaces are placeholders with no box)."""
    real = [c for c in chars if c[5] > 0]
    text = " ".join("".join(c[4] for c in chars).split())
    if not real or not text:
        return
    sizes = sorted(c[5] for c in real)
    lines.append(Line(min(c[0] for c in real), min(c[2] for c in real), max(c[1] for c in real),
                      max(c[3] for c in real), text, sizes[len(sizes) // 2],
                      sum(c[6] for c in real) * 2 > len(real), real))


def _edges(page: Any, left: float, top: float) -> list[dict[str, Any]]:
    """The page's drawn rules as pdfplumber edges: thin paths are lines; the sides of
    a stroked-only box are four (a filled box is shading, not a rule)."""
    import pypdfium2.raw as raw

    out: list[dict[str, Any]] = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        x0, x1, t, b = x0 - left, x1 - left, top - y1, top - y0
        w, h = x1 - x0, b - t
        if h <= 2 and w > 2:
            out.append(edge("h", x0, x1, (t + b) / 2, (t + b) / 2))
        elif w <= 2 and h > 2:
            out.append(edge("v", (x0 + x1) / 2, (x0 + x1) / 2, t, b))
        elif w > 2 and h > 2 and _stroked_only(raw, obj):
            out += [edge("h", x0, x1, t, t), edge("h", x0, x1, b, b),
                    edge("v", x0, x0, t, b), edge("v", x1, x1, t, b)]
    return out


def edge(orientation: str, x0: float, x1: float, top: float, bottom: float) -> dict[str, Any]:
    """A rule as pdfplumber's table finder takes it."""
    return {"object_type": "line", "orientation": orientation, "x0": x0, "x1": x1, "top": top,
            "bottom": bottom, "width": x1 - x0, "height": bottom - top}


def _stroked_only(raw: Any, obj: Any) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke)):
        return False
    return bool(stroke.value) and not fill.value
