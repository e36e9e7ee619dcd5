"""Limits checked before a parser inflates or walks a hostile file, each with its reason.

- ZIP-based formats (DOCX, XLSX, PPTX, ODF, EPUB): the sizes the ZIP directory declares are read
  before anything is inflated. A member that would inflate to more than ``max_ratio`` times its
  compressed size (and to more than 10 MB), or members adding up to more than ``max_unzipped_mb``,
  are refused: a 1 MB DOCX that inflates to 1 GB of XML is a bomb, not a document. Python's
  ``zipfile`` (what python-docx, openpyxl and python-pptx read with) never inflates a member past
  its declared size, so the declared sizes bound the real ones.
- HTML: libxml2, under unstructured's HTML parser, stops at 256 levels of nesting and the text
  below is silently lost, so a page nested deeper is refused, saying so, rather than indexed empty.
"""

from __future__ import annotations

import io
import re
import zipfile

from docent.ingest.errors import ParseError

ZIP_KINDS = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"})
MAX_HTML_DEPTH = 250
_RATIO_FLOOR = 10 * 2**20  # members smaller than this may compress as well as they like
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
# Elements without content, or whose end tag HTML lets a page leave out ("<p>one<p>two"): never nested.
_FLAT = frozenset({b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
                   b"param", b"source", b"track", b"wbr", b"p", b"li", b"dt", b"dd", b"tr", b"td", b"th",
                   b"option", b"optgroup", b"thead", b"tbody", b"tfoot", b"colgroup", b"rb", b"rt", b"rp"})


def check_zip(data: bytes, kind: str, max_unzipped_mb: float, max_ratio: float) -> None:
    """Raise ParseError when the ZIP container would inflate past the limits (see the module)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a ZIP: the format's own parser says what is wrong with it
    total = sum(m.file_size for m in members)
    if total > max_unzipped_mb * 2**20:
        raise ParseError(f"{kind.upper()} would inflate to {total / 2**20:,.0f} MB, over the "
                         f"{max_unzipped_mb:g} MB limit (parsing.max_unzipped_mb): a ZIP bomb?")
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > max_ratio * max(m.compress_size, 1):
            raise ParseError(f"{kind.upper()} member {m.filename[:80]!r} would inflate {m.file_size / max(m.compress_size, 1):,.0f}"
                             f" times (to {m.file_size / 2**20:,.0f} MB), over parsing.max_zip_ratio "
                             f"({max_ratio:g}): a ZIP bomb?")


def check_nesting(data: bytes, kind: str, limit: int = MAX_HTML_DEPTH) -> None:
    """Raise ParseError when elements nest deeper than ``limit``."""
    depth = deepest = 0
    for m in _TAG.finditer(data):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _FLAT or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    if deepest > limit:
        raise ParseError(f"{kind.upper()} nested {deepest:,} levels deep, over the limit of {limit} (the parser "
                         "cannot read text nested deeper)")


def check_elements(count: int, limit: int) -> None:
    if count > limit:
        raise ParseError(f"{count:,} elements, over the limit of {limit:,} (parsing.max_elements_per_doc)")
