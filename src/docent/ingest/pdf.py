"""PDF text extraction: unstructured's "fast" strategy without unstructured-inference.

``unstructured.partition.pdf`` imports unstructured-inference (torch, layout models) at module
level, even for "fast", and we install unstructured without its [pdf] extra. This module runs
the same fast path from its parts: pdfminer pages (repaired with pikepdf), the element
classifier, and the reading-order sort.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import Any


def partition_pdf(data: bytes, strategy: str) -> list[Any]:
    """unstructured's "fast" PDF path, assembled from its parts: ``partition_pdf`` itself imports
    unstructured-inference (torch, layout models) at module level, even for "fast"."""
    if strategy not in ("fast", "auto"):
        from unstructured.partition.pdf import partition_pdf  # needs unstructured[pdf]

        return partition_pdf(file=io.BytesIO(data), strategy=strategy, languages=[""])
    from unstructured.cleaners.core import clean_extra_whitespace
    from unstructured.documents.coordinates import PixelSpace
    from unstructured.nlp.patterns import PARAGRAPH_PATTERN
    from unstructured.partition.pdf_image.pdfminer_utils import get_text_with_deduplication, open_pdfminer_pages_generator
    from unstructured.partition.text import element_from_text
    from unstructured.partition.utils.sorting import sort_page_elements

    _drop_pdf_colorspaces()
    out: list[Any] = []
    pages = open_pdfminer_pages_generator(io.BytesIO(data))  # repairs broken pages with pikepdf
    for number, (_page, layout) in enumerate(pages, start=1):
        system, found = PixelSpace(width=layout.width, height=layout.height), []
        for obj in layout:  # text in figures (form XObjects) has no get_text: gather its chars
            in_figure = not hasattr(obj, "get_text")
            snippets = re.split(PARAGRAPH_PATTERN, _figure_text(obj)) if in_figure \
                else [get_text_with_deduplication(obj, 2.0)]  # 2.0: unstructured's fake-bold fix
            x1, y1, x2, y2 = obj.x0, layout.height - obj.y1, obj.x1, layout.height - obj.y0
            points = ((x1, y1), (x1, y2), (x2, y2), (x2, y1))
            for text in filter(str.strip, map(clean_extra_whitespace, snippets)):
                # a figure's box says little about where its text sits: no header/footer guess
                el = element_from_text(text, *(() if in_figure else (points, system)))
                el.metadata.page_number = number
                found.append(el)
        out += sort_page_elements(sort_page_elements(found, "basic"), "xy-cut")
    return out


def _figure_text(item: Any) -> str:
    """All the text inside a pdfminer container, as unstructured's fast path gathers it."""
    if hasattr(item, "get_text"):
        return item.get_text()
    return "".join(_figure_text(child) for child in item) if hasattr(item, "__iter__") else "\n"


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
