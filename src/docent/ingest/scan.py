"""Scans and pictures as documents: image files read frame by frame, OCR'd pages made into
elements, and the document's scan report (which pages were OCR'd, how confidently, which gave nothing).

Pictures are opened with Pillow (HEIC through pi-heif). A picture's size is checked from its
header before any pixel is decoded, so a file that declares 50,000 x 50,000 pixels is refused
without using memory; a TIFF frame that cannot be decoded is noted and the other frames are kept.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docent.ingest.ocr import OcrOptions, PageText, recognise_all

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_PIXELS = 120_000_000  # a 600 dpi A3 page is 70 megapixels
IMAGE_KINDS = ("jpg", "png", "gif", "bmp", "tiff", "heic", "webp")


class ScanError(Exception):
    """The picture cannot be read at all; ``reason`` is short and meant for humans."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ScanReport:
    """What OCR did to one document, shown by ``docent status`` and the Ingestion page."""

    pages: int = 0
    ocr_pages: int = 0
    confidences: list[float] = field(default_factory=list)  # per OCR'd page that had words
    notes: list[str] = field(default_factory=list)  # pages that gave nothing or read poorly
    blocked: str | None = None  # why pages that needed OCR were not OCR'd (Tesseract missing)
    failed: int = 0  # OCR'd pages Tesseract failed on (their time limit)

    @property
    def confidence(self) -> float | None:
        """Mean word confidence over the OCR'd pages (0-100)."""
        return sum(self.confidences) / len(self.confidences) if self.confidences else None

    def columns(self) -> dict[str, Any]:
        """The manifest's columns for this report."""
        confidence = self.confidence
        return {"pages": self.pages, "ocr_pages": self.ocr_pages, "notes": "\n".join(self.notes) or None,
                "ocr_confidence": round(confidence, 1) if confidence is not None else None}

    def add(self, page: int, text: PageText, min_confidence: float) -> None:
        self.ocr_pages += 1
        if text.error:
            self.failed += 1
            self.notes.append(f"page {page}: {text.error}")
            return
        if text.rotated:
            self.notes.append(f"page {page}: turned {text.rotated}° clockwise before reading")
        if text.confidence is None:
            self.notes.append(f"page {page}: OCR found no text")
            return
        self.confidences.append(text.confidence)
        if text.confidence < min_confidence:
            self.notes.append(f"page {page}: OCR confidence {text.confidence:.0f} is below "
                              f"parsing.ocr_min_confidence ({min_confidence:g}); its text is kept")


def elements_from(text: PageText, page: int) -> list[Any]:
    """unstructured elements for one OCR'd page, each carrying its paragraph's ``ocr_confidence``."""
    from unstructured.partition.text import element_from_text

    out = []
    for paragraph in text.paragraphs:
        el = element_from_text(paragraph.text)
        el.metadata.page_number = page
        el.metadata.ocr_confidence = round(paragraph.confidence, 1)
        out.append(el)
    return out


def partition_image(data: bytes, options: OcrOptions) -> tuple[list[Any], ScanReport]:
    """Every frame of a picture file OCR'd, one page per frame (a TIFF's pages; other formats'
    first frame only: an animated GIF is not a document)."""
    report = ScanReport()
    numbers: deque[int] = deque()

    def pictures() -> Iterator[tuple[Image, int | None]]:
        for number, picture, dpi in _frames(data, report):
            numbers.append(number)
            yield picture, dpi

    elements: list[Any] = []
    for text in recognise_all(pictures(), options):
        number = numbers.popleft()
        report.add(number, text, options.min_confidence)
        elements += elements_from(text, number)
    return elements, report


def _frames(data: bytes, report: ScanReport) -> Iterator[tuple[int, Image, int | None]]:
    """(page number, frame, dpi) for each frame that decodes; one that does not is noted in ``report``."""
    picture = _open(data)
    try:
        count = picture.n_frames if picture.format == "TIFF" else 1  # an animated GIF is not a document
    except (OSError, ValueError, EOFError) as exc:
        raise ScanError(f"corrupt image ({type(exc).__name__}: {exc})"[:200]) from None
    dpi = picture.info.get("dpi", (0, 0))[0]
    for number in range(1, count + 1):
        report.pages = number
        try:
            picture.seek(number - 1)
            if picture.width * picture.height > MAX_PIXELS:
                report.notes.append(f"page {number}: too large ({picture.width:,} x {picture.height:,} pixels); skipped")
                continue
            picture.load()
            frame = picture.copy()
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            report.notes.append(f"page {number}: unreadable ({type(exc).__name__}); skipped")
            continue
        yield number, frame, int(dpi) if dpi and dpi >= 50 else None


def picture_format(data: bytes) -> str:
    """The picture's format ("PNG", "JPEG", ...): ScanError when ``data`` is not a picture or
    declares more than :data:`MAX_PIXELS` (nothing is decoded)."""
    return str(_open(data).format)


def _open(data: bytes) -> Image:
    """The picture, its header read and checked, its pixels not decoded yet."""
    from pi_heif import register_heif_opener
    from PIL import Image, UnidentifiedImageError

    register_heif_opener()
    try:
        with warnings.catch_warnings():  # Pillow warns above 89 megapixels: the limit here is ours
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own check, at twice its limit
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(declared.group(1)):,} pixels" if declared else "too many pixels"
        raise ScanError(f"image too large: {size} (the limit is {MAX_PIXELS // 1_000_000} megapixels)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ScanError("not a readable image (unknown or corrupt format)") from None
    if picture.width * picture.height > MAX_PIXELS:
        raise ScanError(f"image too large: {picture.width:,} x {picture.height:,} pixels (the limit is "
                        f"{MAX_PIXELS // 1_000_000} megapixels)")
    return picture


def picture_text(data: bytes, options: OcrOptions) -> str:
    """The text OCR reads in a picture's first page ("" when there is none)."""
    elements, _ = partition_image(data, options)
    return " ".join(" ".join(el.text for el in elements).split())
