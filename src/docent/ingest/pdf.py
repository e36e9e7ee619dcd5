"""PDF to unstructured elements: PDFium's text lines made into paragraphs, headings and tables.

unstructured's own ``partition_pdf`` imports unstructured-inference (torch, layout models) at
module level, even for its "fast" strategy, and its fast path runs pdfminer's layout analysis at
~0.5 s a page. This module reads pages with PDFium (:mod:`docent.ingest.pdf_pages`, ~40 ms a
page), finds tables on them (:mod:`docent.ingest.pdf_tables`), and builds the same kinds of
elements unstructured would: lines that follow each other closely in one style are a paragraph;
a short bold or larger paragraph is a ``Title``; the rest is classified by unstructured's text
classifier (list items, narrative text). A table becomes one ``Table`` element
(``metadata.text_as_html``) where its first line stood, and its lines leave the prose. Running
heads and page numbers (short lines repeated at the top or the bottom of pages, or in their
margins) are dropped. A page with no usable text layer (:func:`needs_ocr`) is rendered instead
and read by OCR (:mod:`docent.ingest.ocr`), side by side with the reading of the next pages.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from docent.ingest.ocr import OcrOptions, recognise_all, unavailable
from docent.ingest.pdf_pages import Line, Page, read_pages
from docent.ingest.pdf_tables import FoundTable, detect, inside, to_html
from docent.ingest.progress import tick
from docent.ingest.scan import ScanReport, elements_from

if TYPE_CHECKING:
    from PIL.Image import Image

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARGIN = 0.06  # of a page's height, at its top and its bottom
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"[\s—]+")
_UNITS = re.compile(r"^\(|^\$?\s*in (?:millions|thousands|billions)\b", re.I)  # "(In millions)": no heading
_WORD = re.compile(r"[^\W\d_]+(?:['’.&/-][^\W\d_]+)*\.?")
_EDGE_PUNCT = "()[]{}\"'“”‘’,;:!?*•·"
_PAGE_NUMBER = re.compile(r"[-–—(\s]*(?:page\s*)?#(?:\s*of\s*#)?[-–—)\s]*")


@dataclass
class _Sheet:
    """What a page keeps once read: its lines (tables marked) and tables; its chars are let go."""

    number: int
    height: float
    items: list[Line | FoundTable]  # reading order: prose lines, each table where it began


def partition_pdf(data: bytes, strategy: str, ocr: OcrOptions) -> tuple[list[Any], ScanReport]:
    """The PDF's elements in reading order, with 1-based page numbers; pages that are pictures
    (or whose text layer is garbage) are OCR'd as ``ocr`` says."""
    if strategy not in ("fast", "auto"):
        from unstructured.partition.pdf import partition_pdf  # needs unstructured[pdf]

        return partition_pdf(file=io.BytesIO(data), strategy=strategy, languages=[""]), ScanReport()
    report = ScanReport()
    blocked = unavailable(ocr) if ocr.mode != "off" else "parsing.ocr is off"
    order: list[_Sheet | int] = []  # a page read from its text layer, or the number of one OCR'd
    waiting: deque[int] = deque()

    def render(page: Page) -> bool:
        if ocr.mode == "off" or not (ocr.mode == "always" or needs_ocr(page)):
            return False
        if blocked:
            report.blocked = blocked
            report.notes.append(f"page {page.number}: has no usable text layer and was not OCR'd ({blocked})")
        return not blocked

    def pictures() -> Iterator[tuple[Image, int | None]]:
        for page in read_pages(data, render, ocr.dpi):
            report.pages = page.number
            if page.picture is None:
                order.append(_sheet(page))
                continue
            order.append(page.number)
            waiting.append(page.number)
            yield page.picture, ocr.dpi

    texts = {waiting.popleft(): text for text in recognise_all(pictures(), ocr)}
    running = _running([item for item in order if isinstance(item, _Sheet)])
    out: list[Any] = []
    for item in order:
        if isinstance(item, _Sheet):
            tick(f"the paragraphs and tables of page {item.number}")
            out += _elements(item, running)
        else:
            report.add(item, texts[item], ocr.min_confidence)
            out += elements_from(texts[item], item)
    return out, report


def needs_ocr(page: Page) -> bool:
    """Whether a page's text layer is missing or garbage: fewer than 5 words on a page with a
    picture on it (a scan, or a scanned table pasted on a page; a blank page is not one), or words
    that are mostly not words (a font without a Unicode map gives "Ã¤¢" or private-use glyphs)."""
    tokens = [t.strip(_EDGE_PUNCT) for line in page.lines for t in line.text.split()]
    lettered = [t for t in tokens if any(c.isalpha() for c in t) and not any(c.isdigit() for c in t)]
    if len(lettered) < 5:
        return page.image_cover >= 0.05
    return sum(bool(_WORD.fullmatch(t)) for t in lettered) < 0.5 * len(lettered)


def _sheet(page: Page) -> _Sheet:
    tables = _tables(page)
    items: list[Line | FoundTable] = []
    placed: set[int] = set()
    for line in page.lines:
        home = next((i for i, t in enumerate(tables) if _in_table(line, t)), None)
        if home is None and any(_in_caption(line, t) for t in tables):
            continue  # the table's caption: it heads the table (and its section), not the prose too
        if home is None:
            items.append(line)
        elif home not in placed:
            placed.add(home)
            items.append(tables[home])
    items += [t for i, t in enumerate(tables) if i not in placed]
    for line in page.lines:
        line.chars = []
    return _Sheet(page.number, page.height, items)


def _in_table(line: Line, table: FoundTable) -> bool:
    return inside(table.bbox, line.x0, line.top, line.x1, line.bottom)


def _in_caption(line: Line, table: FoundTable) -> bool:
    """Whether a line just above a table is part of the caption the table finder gave it."""
    caption = _SPACES.sub("", table.table.caption).lower()
    text = _SPACES.sub("", line.text).lower()
    near = table.bbox[1] - 8 * max(line.size, 1.0) <= line.top <= table.bbox[1] + 1
    return bool(caption and text) and near and text in caption


def _tables(page: Page) -> list[FoundTable]:
    """The page's tables; a page the finder trips on keeps its text as prose."""
    try:
        return detect(page.chars, page.width, page.height, page.edges)
    except Exception:  # noqa: BLE001 - tables are a bonus: never lose the document over one
        logger.warning("table detection failed on page %d", page.number, exc_info=True)
        return []


def _edge_keys(sheet: _Sheet) -> dict[int, str]:
    """The short lines among the first and last two of a page, by position, as a running head or
    page number looks on every page (digits blurred)."""
    lines = [i for i, item in enumerate(sheet.items) if isinstance(item, Line)]
    return {i: _DIGITS.sub("#", line.text.lower()) for i in lines[:2] + lines[-2:]
            if len((line := sheet.items[i]).text.split()) <= 12}


def _in_margin(line: Line, height: float) -> bool:
    """A short line in the page's top or bottom margin: a header or footer, as unstructured's
    classifier judges them by position."""
    middle = (line.top + line.bottom) / 2
    return not _MARGIN * height < middle < (1 - _MARGIN) * height and len(line.text.split()) <= 12


def _running(sheets: list[_Sheet]) -> set[str]:
    """Page-edge lines repeated on at least 3 pages and a fifth of them; a bare page number
    ("12", "Page 12", "- 12 -") on 3."""
    seen: Counter[str] = Counter()
    for sheet in sheets:
        seen.update(set(_edge_keys(sheet).values()))
    floor = max(3, len(sheets) // 5)
    return {k for k, n in seen.items() if n >= floor or (n >= 3 and _PAGE_NUMBER.fullmatch(k))}


def _elements(sheet: _Sheet, running: set[str]) -> list[Any]:
    from unstructured.documents.elements import ElementMetadata, Table, Title

    out: list[Any] = []
    block: list[Line] = []
    edges = _edge_keys(sheet)
    for i, item in enumerate(sheet.items):
        if isinstance(item, FoundTable):
            out += _paragraph(block, sheet.number)
            block = []
            table = item.table
            if table.caption:  # the caption heads the table's section, so every piece of it says it
                out.append(Title(table.caption, metadata=ElementMetadata(page_number=sheet.number)))
                table = replace(table, caption="")
            out.append(Table(item.text, metadata=ElementMetadata(text_as_html=to_html(table),
                                                                 page_number=sheet.number)))
            continue
        if edges.get(i) in running or _in_margin(item, sheet.height):
            continue
        if block and not _continues(block[-1], item):
            out += _paragraph(block, sheet.number)
            block = []
        block.append(item)
    return out + _paragraph(block, sheet.number)


def _continues(above: Line, line: Line) -> bool:
    """Whether a line goes on the paragraph of the line above: just below it (PDFium's loose
    boxes span the font's whole height, so lines of a paragraph nearly touch), overlapping it
    across, in the same size and weight."""
    size = max(above.size, line.size, 1.0)
    gap = line.top - above.bottom
    return (-0.5 * size <= gap <= 0.25 * size and abs(above.size - line.size) <= 0.15 * size
            and above.bold == line.bold and line.x0 < above.x1 and above.x0 < line.x1)


def _paragraph(lines: list[Line], page: int) -> list[Any]:
    """One element from a paragraph's lines: a Title when it is short and bold, else what unstructured's classifier makes of its text."""
    if not lines:
        return []
    from unstructured.documents.elements import Text, Title
    from unstructured.partition.text import element_from_text

    text = ""
    for line in lines:
        words = _CONTROL.sub("", line.text.replace("\x02", "-")).strip()
        if text.endswith("-") and words[:1].islower():
            text = text[:-1] + words  # a word hyphenated across lines
        else:
            text = f"{text} {words}" if text else words
    if not text:
        return []
    heading = all(line.bold for line in lines) and len(lines) <= 2 and len(text.split()) <= 16 \
        and not text.endswith((".", ":", ";", ","))
    if _UNITS.search(text):  # "(In millions, except per share data)": a note on units, never a heading
        el = Text(text)
    else:
        el = Title(text) if heading else element_from_text(text)
    el.metadata.page_number = page
    return [el]
