"""Parse one document's bytes into structured elements with unstructured.

Why the code looks the way it does:
- unstructured 0.27 classifies paragraphs with spaCy's ``en_core_web_sm`` and, when that model is
  missing, downloads and pip-installs it into site-packages at first use (a network call, and a
  failure offline). We swap its three NLP helpers for regex heuristics (``_use_light_nlp``):
  offline, deterministic on every machine, and ~100x faster. Only the NarrativeText/Title/Text
  guess for unstyled paragraphs depends on them; headings from styles/tags do not.
- Text formats are decoded here (BOM, UTF-8, then charset detection, cp1252, latin-1) because
  unstructured's own guess can fail on short cp1252 or UTF-16 files.
- Section paths follow Title elements: ``metadata.category_depth`` (Markdown/HTML h1..h6, DOCX
  heading levels, PPTX titles) sets the level; a Title without a depth counts as level 0, i.e.
  it replaces the current top section. Slides and sheets start a fresh path.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import Any, Callable

os.environ.setdefault("SCARF_NO_ANALYTICS", "true")  # unstructured phones home unless told not to
os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")


@dataclass(frozen=True)
class Element:
    text: str
    category: str  # unstructured's category: Title, NarrativeText, ListItem, Table, ...
    page: int | None  # 1-based page (PDF page, slide, sheet) where the format has pages
    section: tuple[str, ...]  # heading path, e.g. ("Handbook", "Leave", "Parental leave")


@dataclass(frozen=True)
class ParsedDocument:
    elements: list[Element]
    file_type: str  # e.g. "pdf", "md"


class ParseError(Exception):
    """A document that cannot be parsed; ``reason`` is short and meant for humans (quarantine)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_ALIASES = {"htm": "html", "xhtml": "html", "markdown": "md", "text": "txt", "log": "txt",
            "jpeg": "jpg", "tif": "tiff"}
_TEXT_KINDS = {"txt", "md", "html", "csv", "tsv", "rst", "org", "xml"}
_PANDOC_KINDS = {"rtf", "epub", "odt", "rst", "org"}
_UNSUPPORTED = {
    "doc": ".doc needs LibreOffice, which is not installed", "ppt": ".ppt needs LibreOffice, "
    "which is not installed", "xls": "legacy .xls is not supported (save as .xlsx)",
    "zip": "archives are not supported", **{k: f"image file ({k}); OCR is not enabled" for k in
    ("jpg", "png", "gif", "bmp", "tiff", "heic", "webp")},
}
_DROP = {"Header", "Footer", "PageNumber", "PageBreak", "Image"}
_TXT_ROUTE = {"txt"}  # plain text: our own fast splitter, see _partition_plain_text


def parse_bytes(data: bytes, filename: str, strategy: str = "fast") -> ParsedDocument:
    """Parse ``data`` (named ``filename``, which picks the format) or raise ParseError."""
    if not data.strip():
        raise ParseError("empty file")
    kind = _ALIASES.get(ext := PurePosixPath(filename).suffix.lower().lstrip("."), ext)
    if kind not in _PARTITIONERS and kind not in _UNSUPPORTED:
        kind = _sniff(data)
    if kind in _UNSUPPORTED:
        raise ParseError(_UNSUPPORTED[kind])
    if kind in _PANDOC_KINDS and not _has_pandoc():
        raise ParseError(f"{kind.upper()} needs pandoc, which is not installed")
    try:
        raw = _PARTITIONERS[kind](data, strategy)
    except ParseError:
        raise
    except Exception as exc:  # unstructured and its readers raise anything on bad input
        raise ParseError(_explain(kind, exc)) from exc
    elements = _to_elements(raw, kind)
    if not elements:
        raise ParseError("no text layer (scanned PDF?); OCR is not enabled" if kind == "pdf"
                         else "no extractable text")
    return ParsedDocument(elements=elements, file_type=kind)
