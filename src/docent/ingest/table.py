"""A table's structure, whatever format it came from, and how it is written into chunk text.

Parsers (PDF, HTML, DOCX, PPTX, XLSX) produce a :class:`Table`; the chunker splits it by rows and
repeats the caption and the header in every piece, so a figure never travels without its row
label and column headers. :func:`render` is the one text form, used for BM25, the prompt and
citations alike: the caption on the first line, the header row, then one line per row, cells
joined by ``" | "`` (what the local model reads back as "column: value" pairs). The embedding
reads the same lines without their figures (:func:`labels_only`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SEPARATOR = " | "
HEADER_JOIN = " › "  # multi-row headers: "Three Months Ended › June 30, 2024"
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Table:
    """``header`` labels every column (the row-label column's may be ""); each row has one cell per
    column, its first cell the row label. ``caption`` is the title above the table, "" if none."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _clean(cell: object) -> str:
    return " ".join(str(cell or "").split()).replace("|", "/")


def make_table(caption: str, header: Sequence[object], rows: Sequence[Sequence[object]]) -> Table:
    """A :class:`Table` with ragged rows padded (no cell is ever dropped) and blank rows removed."""
    width = max([len(header), *(len(r) for r in rows)], default=0)
    head = tuple(_clean(c) for c in header) + ("",) * (width - len(header))
    body = tuple(tuple(_clean(c) for c in r) + ("",) * (width - len(r)) for r in rows)
    return Table(_clean(caption), head, tuple(r for r in body if any(r)))


def merge_header_rows(rows: Sequence[Sequence[object]]) -> tuple[str, ...]:
    """Several header rows as one: each column's labels top to bottom, joined by " › ". A label
    that spans columns (left blank in the cells it covers) is carried to the right."""
    width = max((len(r) for r in rows), default=0)
    merged: list[list[str]] = [[] for _ in range(width)]
    for row in rows:
        cells = [_clean(c) for c in row] + [""] * (width - len(row))
        for i in range(2, width):  # the row-label column (0) neither carries nor receives
            cells[i] = cells[i] or cells[i - 1]
        for i, label in enumerate(cells):
            if label and (not merged[i] or merged[i][-1] != label):
                merged[i].append(label)
    return tuple(HEADER_JOIN.join(parts) for parts in merged)


def row_lines(table: Table, rows: Sequence[tuple[str, ...]] | None = None) -> list[str]:
    """The body rows (all, or ``rows``) as text lines."""
    return [SEPARATOR.join(r).strip() for r in (table.rows if rows is None else rows)]


def header_line(table: Table) -> str:
    return SEPARATOR.join(table.header).strip() if any(table.header) else ""


def render(table: Table, rows: Sequence[tuple[str, ...]] | None = None) -> str:
    """Caption, header row and rows (all, or a slice of them) as text."""
    lines = [table.caption, header_line(table), *row_lines(table, rows)]
    return "\n".join(line for line in lines if line)


def from_html(html: str, caption: str = "") -> Table | None:
    """A table from HTML (what unstructured gives for HTML, DOCX, PPTX and XLSX tables, and what the
    PDF table finder writes): leading rows made only of ``<th>`` cells, or a ``<thead>``, are the
    header; a ``<caption>`` is the caption. None when it has no rows."""
    from lxml import html as lhtml

    try:
        root = lhtml.fromstring(html)
    except Exception:  # noqa: BLE001 - unparseable markup: the caller keeps the flat text
        return None
    rows, head = [], []
    for tr in root.iter("tr"):
        cells = [c for c in tr if c.tag in ("td", "th")]
        texts: list[str] = []
        for c in cells:  # a cell spanning columns keeps one column per column it covers
            span = int(c.get("colspan", "1")) if c.get("colspan", "1").isdigit() else 1
            texts += [c.text_content()] + [""] * (min(span, 50) - 1)
        in_head = tr.getparent() is not None and tr.getparent().tag == "thead"
        if not rows and (in_head or (cells and all(c.tag == "th" for c in cells))):
            head.append(texts)
        elif any(t.strip() for t in texts):
            rows.append(texts)
    if not rows and not head:
        return None
    found = root.find(".//caption") if root.tag != "caption" else root
    caption = caption or (found.text_content() if found is not None else "")
    if not head and len(rows) > 1:  # unstructured writes every cell as <td>: the first row is the header
        head, rows = [rows[0]], rows[1:]
    return make_table(caption, merge_header_rows(head), rows)


def labels_only(text: str) -> str:
    """``text`` with its table lines reduced to their labels: cells without a letter (figures,
    dashes) are left out, years kept. What a chunk is embedded as: a sentence embedding of a
    column of figures says nothing, and the figures drown the labels a question is worded in
    ("Merchandise inventories", "February 2, 2019"). BM25 and the reader keep the figures."""
    out = []
    for line in text.split("\n"):
        if SEPARATOR.strip() not in line:
            out.append(line)
            continue
        cells = [c.strip() for c in line.split(SEPARATOR.strip())]
        kept = [c for c in cells if any(ch.isalpha() for ch in c) or _YEAR.fullmatch(c)]
        if kept:
            out.append(SEPARATOR.join(kept))
    return "\n".join(out)
