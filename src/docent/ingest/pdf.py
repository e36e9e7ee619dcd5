"""PDF text extraction: unstructured's "fast" strategy without unstructured-inference.

``unstructured.partition.pdf`` imports unstructured-inference (torch, layout models) at module
level, even for "fast", and we install unstructured without its [pdf] extra. This module runs
the same fast path from its parts: pdfminer pages (repaired with pikepdf), the element
classifier, and the reading-order sort.

Tables (``docent.ingest.pdf_tables``) are found on the same pdfminer layout, so each PDF is parsed
once: each becomes an unstructured ``Table`` element (``metadata.text_as_html``) placed in reading
order where the table stands, and the text lines inside it are left out of the prose around it.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from docent.ingest.pdf_tables import Box, find_tables, inside

logger = logging.getLogger(__name__)


def partition_pdf(data: bytes, strategy: str) -> list[Any]:
    """unstructured's "fast" PDF path, assembled from its parts: ``partition_pdf`` itself imports
    unstructured-inference (torch, layout models) at module level, even for "fast"."""
    if strategy not in ("fast", "auto"):
        from unstructured.partition.pdf import partition_pdf  # needs unstructured[pdf]

        return partition_pdf(file=io.BytesIO(data), strategy=strategy, languages=[""])
    from unstructured.cleaners.core import clean_extra_whitespace
    from unstructured.documents.coordinates import PixelSpace
    from unstructured.documents.elements import ElementMetadata, Table
    from unstructured.nlp.patterns import PARAGRAPH_PATTERN
    from unstructured.partition.pdf_image.pdfminer_utils import get_text_with_deduplication, open_pdfminer_pages_generator
    from unstructured.partition.text import element_from_text
    from unstructured.partition.utils.sorting import sort_page_elements

    _drop_pdf_colorspaces()
    out: list[Any] = []
    pages = open_pdfminer_pages_generator(io.BytesIO(data))  # repairs broken pages with pikepdf
    for number, (_page, layout) in enumerate(pages, start=1):
        system, found = PixelSpace(width=layout.width, height=layout.height), []
        tables = _tables(layout, number)  # from this same layout: the PDF is parsed once
        boxes = [t.bbox for t in tables]
        for obj in layout:  # text in figures (form XObjects) has no get_text: gather its chars
            in_figure = not hasattr(obj, "get_text")
            if in_figure:
                snippets = re.split(PARAGRAPH_PATTERN, _figure_text(obj, boxes, layout.height))
            else:
                obj = _outside(obj, boxes, layout.height)  # lines inside a table are in the table
                if obj is None:
                    continue
                snippets = [get_text_with_deduplication(obj, 2.0)]  # 2.0: unstructured's fake-bold fix
            x1, y1, x2, y2 = obj.x0, layout.height - obj.y1, obj.x1, layout.height - obj.y0
            points = ((x1, y1), (x1, y2), (x2, y2), (x2, y1))
            for text in filter(str.strip, map(clean_extra_whitespace, snippets)):
                # a figure's box says little about where its text sits: no header/footer guess
                el = element_from_text(text, *(() if in_figure else (points, system)))
                el.metadata.page_number = number
                found.append(el)
        for table in tables:
            x1, y1, x2, y2 = table.bbox
            found.append(Table(table.text, coordinates=((x1, y1), (x1, y2), (x2, y2), (x2, y1)),
                               coordinate_system=system,
                               metadata=ElementMetadata(text_as_html=table.html, page_number=number)))
        out += sort_page_elements(sort_page_elements(found, "basic"), "xy-cut")
    return out


def _tables(layout: Any, number: int) -> list[Any]:
    """The page's tables; a page the finder trips on keeps its text as prose."""
    try:
        return find_tables(layout)
    except Exception:  # noqa: BLE001 - tables are a bonus: never lose the document over one
        logger.warning("table detection failed on page %d", number, exc_info=True)
        return []


def _outside(box: Any, tables: Sequence[Box], height: float) -> Any:
    """A pdfminer text box without its lines that lie in a table: the box itself when none do,
    None when all do, else a box of the remaining lines."""
    from pdfminer.layout import LTTextBox, LTTextBoxHorizontal

    if not tables or not isinstance(box, LTTextBox):
        return box if not tables or not _in_tables(box, tables, height) else None
    lines = list(box)
    kept = [line for line in lines if not _in_tables(line, tables, height)]
    if len(kept) == len(lines):
        return box
    if not kept:
        return None
    rest = LTTextBoxHorizontal()
    for line in kept:
        rest.add(line)
    return rest


def _in_tables(item: Any, tables: Sequence[Box], height: float) -> bool:
    return hasattr(item, "x0") and any(inside(t, item.x0, height - item.y1, item.x1, height - item.y0) for t in tables)


def _figure_text(item: Any, tables: Sequence[Box] = (), height: float = 0.0) -> str:
    """All the text inside a pdfminer container, as unstructured's fast path gathers it (less
    the chars that lie in a table)."""
    if hasattr(item, "get_text"):
        if tables and item.get_text().strip() and _in_tables(item, tables, height):
            return ""
        return item.get_text()
    return "".join(_figure_text(child, tables, height) for child in item) \
        if hasattr(item, "__iter__") else "\n"


@cache
def _drop_pdf_colorspaces() -> None:
    """Some PDFs carry malformed ICC colour spaces that make pdfminer raise; text needs no
    colour, so drop them (the patch unstructured's own partition_pdf applies on import)."""
    import wrapt

    @wrapt.patch_function_wrapper("pdfminer.pdfinterp", "PDFPageInterpreter.init_resources")
    def _init_resources(wrapped: Any, _instance: Any, args: Any, kwargs: Any) -> Any:
        resources = args[0]
        if isinstance(resources, dict) and "ColorSpace" in resources:
            resources = {k: v for k, v in resources.items() if k != "ColorSpace"}
        return wrapped(resources, *args[1:], **kwargs)
