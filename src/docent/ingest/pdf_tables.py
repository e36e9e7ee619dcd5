"""Tables on PDF pages, found without a model, from the chars and rules the text already comes from.

Financial statements (10-K, 10-Q, earnings releases) are mostly borderless: a row label on the
left, numbers in right-aligned columns, "$" and ")" in little columns of their own, header rows
("Three Months Ended" over "June 30, 2024 | June 30, 2023") above. Flattened into prose, a number
ends up far from its row label and column header; as a :class:`~docent.ingest.table.Table` it
keeps both.

How (:func:`detect`, given a page's chars and rules from :mod:`docent.ingest.pdf_pages`):

* **Borderless tables, by word geometry.** Chars are grouped into visual rows (vertical overlap,
  so a label set a point lower than its numbers stays on its row), rows into phrases at gaps
  wider than ~0.8 em (a label is one phrase, each number another); "$" joins the number on its
  right, ")" and "%" the one on their left. A table's body is a run of rows with numbers set apart
  (and the label-only rows between them: section headings, wrapped labels), ended by prose, by
  text over the value columns (the next table's header) or by a wide gap. Value columns are the
  x-extents of the numbers, merged where they overlap. Above the body: label-only rows
  ("Assets"), header rows (short labels over the columns; a label centred over several columns
  spans them, stacked one-column labels are one label) and the caption (heading, bold, centred or
  short lines, or the lead-in sentence ending in ":"; never the running head in the top margin).
  A label wrapped over two lines is one (the first line has no values and the second starts in
  lowercase, or the first ends in "of"/"and"/","/an open parenthesis, or ran up to the values).
  On a two-column page a row can run from the prose column into a table: the table is then
  looked for on each side of the gutter.
* **Ruled tables** (a grid of drawn lines): pdfplumber's "lines" method (its edge merging,
  intersections, cells and cell grouping, fed with the page's rules: lines, thin rectangles,
  stroked rectangles; filled ones are shading, not rules). The first row is the header. A grid
  whose cells hold numbers on several lines frames a block of rows, not cells: dropped.
* **Acceptance**, conservative: at least 3 rows with numbers and 2 value columns with numbers in
  two rows (or a single column of amounts under a header of its own); most body rows with a
  number; most numeric rows with a label (chart axes have none); no more text cells than numbers.
  A ruled grid needs 3 rows with two filled cells.
* **Cost**: pages with fewer than 24 digits, or fewer than 3 rows with a number set apart, stop
  after one pass over their chars. Over the 41 FinanceBench filings (4,460 pages) detection takes
  5 ms a page on average (the measurements below were made on pdfminer's chars; PDFium's
  give the same tables).

Why not pdfplumber's ``find_tables`` on its own (measured on the 62 FinanceBench evidence pages
that quote a statement or table, and 60 random prose pages of the same filings: ≥80% of their text
in lines of 8+ words, 24+ digits):

=====================  ====================  ==================  ==================  =========
method                 evidence pages with   evidence numbers    prose pages with    ms/page
                       a table               in table cells      a table
=====================  ====================  ==================  ==================  =========
this module            62/62                 2,916/3,242 (90%)   6/60 (all 6 real)   14
pdfplumber "lines"     41/62                 1,511/3,242 (47%)   8/60                62
pdfplumber "text"      62/62                 2,696/3,242 (83%)   60/60               131
=====================  ====================  ==================  ==================  =========

"lines" sees only drawn grids; filings draw shading and rules under totals, so it finds one table
per shaded row or none. "text" finds a table on every page, prose included, and cuts words across
cells ("Consolidated Statement | of Cash Flow s", 4,835 split words on the evidence pages): its
column edges come from any three aligned words. The numbers not in cells are mostly in prose or
inside labels ("... 2022, $5; 2021, $11"). Across all 4,460 pages 1,389 hold a table. A research
paper of the test data gives one (its ruled comparison table); a two-column paper among the parser
fixtures gives its five result tables and keeps its prose.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from statistics import median
from typing import Any

from docent.ingest.table import HEADER_JOIN, Table, make_table, render

# A char: (x0, x1, top, bottom, text, size, bold), top-down page coordinates (points).
Char = tuple[float, float, float, float, str, float, bool]
Box = tuple[float, float, float, float]  # x0, top, x1, bottom (top-down)

_MIN_DIGITS = 24  # a page with fewer digits holds no table worth finding: skip the work
_MIN_VALUE_ROWS = 3  # body rows with a number
_MIN_VALUE_COLUMNS = 2  # columns with numbers in at least two rows (or one of amounts, headed)
_MAX_HEADER_ROWS = 6
_MAX_CAPTION_LINES = 3

_NUMBER = re.compile(
    r"""^[(\[]?[-–—−+]?[$€£¥]?\s?[-–—−]?\(?
        (?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:\ \d{3})+|\d+)?(?:\.\d+)?   # 1,234  1 234  1234  .5
        \)?\s?(?:%|pts?|bps|pp|x)?\)?[*]?$""", re.X | re.I)
_NIL = re.compile(r"^(?:[-–—−]+|n/?a|n\.a\.|nm|n/?m|n\.m\.|\*+|nil)\s?%?$", re.I)
_YEAR = re.compile(r"^(?:fy\s?|fiscal\s)?(?:19|20)\d\d[a-z]?$", re.I)
_CURRENCY = {"$", "€", "£", "¥", "US$", "C$", "A$", "R$", "S$", "HK$"}
_OPEN = {"(", "$(", "[", "-", "–", "—", "−"}  # alone: belongs to the number on its right
_CLOSE = {")", "%", ")%", "%)", "pts", "bps", "pp", "x", "*", ")*"}  # alone: to the number on its left
_CONTINUES = re.compile(r"(?:[,;&(/–—-]|\b(?:and|or|of|to|for|in|the|from|by|on|net|with|at|as|"
                        r"a|an|less|plus|including|excluding|per|into|under|over|before|after))$",
                        re.I)
_TIGHT = re.compile(r"(?<=[$€£¥(\[-])\s+|\s+(?=[%)\]])")
_BY_TOP, _BY_X = itemgetter(2, 0), itemgetter(0)


@dataclass(frozen=True)
class FoundTable:
    """A table on a page: its box (top-down points), structure, HTML and plain text."""

    bbox: Box
    table: Table
    html: str

    @property
    def text(self) -> str:
        return render(self.table)


# -- rows and phrases --------------------------------------------------------------------------

@dataclass
class Phrase:
    x0: float
    x1: float
    top: float
    bottom: float
    text: str
    size: float
    bold: bool
    words: int
    kind: str = "text"  # text, num, nil, year, cur, open, close
    nx0: float = 0.0  # where the number itself starts (a "$" merged in front moves x0, not nx0)
    spans: tuple[tuple[float, float, str], ...] = ()  # its words: x0, x1, text

    @property
    def value(self) -> bool:
        return self.kind in ("num", "nil", "year")


@dataclass
class Row:
    top: float
    bottom: float
    phrases: list[Phrase]
    size: float
    numeric: bool = False
    prose: bool = False
    years: bool = False  # a header row of years: "(Millions) 2018 2017 2016"

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.phrases)


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Chars grouped into visual rows: a char joins the row when it overlaps the row's first
    char vertically by 40% of the smaller height (labels a point lower than their numbers,
    superscripts, and mixed font sizes stay on their row)."""
    rows: list[list[Char]] = []
    row: list[Char] = []
    ctop = cbottom = 0.0
    for ch in sorted(chars, key=_BY_TOP):
        top, bottom = ch[2], ch[3]
        if row:
            overlap = (bottom if bottom < cbottom else cbottom) - (top if top > ctop else ctop)
            height = bottom - top if bottom - top < cbottom - ctop else cbottom - ctop
            if overlap >= 0.4 * height:
                row.append(ch)
                continue
        row = [ch]
        rows.append(row)
        ctop, cbottom = top, bottom
    return rows


def _phrases(chars: list[Char]) -> list[Phrase]:
    """A row's chars as phrases: words split at gaps wider than a thin space, phrases at gaps
    wider than ~0.8 em (two or three spaces): a row label is one phrase, each number another."""
    chars = sorted(chars, key=_BY_X)
    size = median(c[5] for c in chars)
    groups: list[list[list[Char]]] = []  # phrases of words of chars
    prev: Char | None = None
    for ch in chars:
        if prev is not None:
            if ch[4] == prev[4] and abs(ch[0] - prev[0]) < 0.5 * (prev[1] - prev[0]) \
                    and abs(ch[2] - prev[2]) < 0.3 * ch[5]:
                continue  # drawn twice ("fake bold")
            gap = ch[0] - prev[1]
            if gap > max(0.8 * size, 4.0):
                groups.append([[ch]])
            elif gap > 0.12 * size:
                groups[-1].append([ch])
            else:
                groups[-1][-1].append(ch)
        else:
            groups.append([[ch]])
        prev = ch
    out: list[Phrase] = []
    for words in groups:
        texts = ["".join(c[4] for c in w) for w in words]
        kinds = [_kind(t) for t in texts]
        if len(words) > 1 and "text" not in kinds:
            parts = [[w] for w in words]  # numbers and signs close together: rejoined later
        else:
            parts = [words]
        for part in parts:
            flat = [c for w in part for c in w]
            text = " ".join("".join(c[4] for c in w) for w in part)
            out.append(_phrase(flat, text, size, len(part)))
            out[-1].spans = tuple((w[0][0], w[-1][1], "".join(c[4] for c in w)) for w in part)
    return out


def _phrase(chars: list[Char], text: str, size: float, words: int) -> Phrase:
    p = Phrase(chars[0][0], chars[-1][1], min(c[2] for c in chars), max(c[3] for c in chars),
               text, size, 2 * sum(c[6] for c in chars) > len(chars), words, _kind(text))
    p.nx0 = p.x0
    if p.kind == "num":  # "56.2 %" -> "56.2%", "$ 5,363" -> "$5,363"
        p.text = _TIGHT.sub("", p.text)
    return p


def _kind(text: str) -> str:
    if text in _CURRENCY:
        return "cur"
    if text in _OPEN:
        return "open" if text not in ("-", "–", "—", "−") else "nil"
    if text in _CLOSE:
        return "close"
    if _YEAR.match(text):
        return "year"
    if _NIL.match(text):
        return "nil"
    if any(c.isdigit() for c in text) and _NUMBER.match(text):
        return "num"
    return "text"


def _merge_signs(phrases: list[Phrase]) -> list[Phrase]:
    """"$" | "5,363" -> "$5,363"; "(370" | ")" -> "(370)"; "23.1" | "%" -> "23.1%"."""
    out: list[Phrase] = []
    pending: Phrase | None = None
    for p in phrases:
        if pending is not None:
            if p.value:
                sep = "" if pending.kind in ("cur", "open") else " "
                p.text, p.x0 = pending.text + sep + p.text, pending.x0
                p.kind = "num" if p.kind == "year" else p.kind
            else:
                out.append(pending)
            pending = None
        if p.kind in ("cur", "open"):
            pending = p
            continue
        if p.kind == "close" and out and out[-1].value and p.x0 - out[-1].x1 < 3 * p.size:
            out[-1].text += p.text
            out[-1].x1 = p.x1
            continue
        out.append(p)
    if pending is not None:
        out.append(pending)
    for p in out:
        if p.kind == "close" and p.text.strip("*") == "":
            p.kind = "nil"  # a lone "*" in a value column: a footnote mark standing for a value
    return out


def _build_rows(groups: list[list[Char]], width: float) -> list[Row]:
    rows = []
    for group in groups:
        phrases = _merge_signs(_phrases(group))
        size = median(c[5] for c in group)
        row = Row(min(p.top for p in phrases), max(p.bottom for p in phrases), phrases, size)
        values = [p for p in phrases if p.value]
        lead = phrases[0]
        row.numeric = any(p is not lead for p in values) or len(values) >= 2
        row.years = row.numeric and all(p.kind == "year" for p in values if p is not lead) \
            and not any(p.text[:1] in _CURRENCY for p in values)
        row.prose = not row.numeric and any(
            p.words >= 9 and p.x1 - p.x0 >= 0.4 * width for p in phrases)
        rows.append(row)
    return rows


# -- columns -----------------------------------------------------------------------------------

@dataclass
class Column:
    x0: float  # the numbers' extent
    x1: float
    ext0: float  # with "$" signs in front
    count: int = 0

    @property
    def mid(self) -> float:
        return (self.ext0 + self.x1) / 2


def _columns(values: list[Phrase]) -> list[Column]:
    """Value columns: the x-extents of the numbers, overlapping ones merged. Unusually wide
    phrases (a number run into its neighbour) are left out so they cannot bridge two columns."""
    if not values:
        return []
    widths = sorted(p.x1 - p.nx0 for p in values)
    limit = 2.0 * widths[len(widths) // 2] + 4
    cols: list[Column] = []
    for p in sorted((p for p in values if p.x1 - p.nx0 <= limit), key=lambda p: p.nx0):
        if cols and p.nx0 <= cols[-1].x1 + 1:
            c = cols[-1]
            c.x1, c.ext0, c.count = max(c.x1, p.x1), min(c.ext0, p.x0), c.count + 1
        else:
            cols.append(Column(p.nx0, p.x1, p.x0, 1))
    return cols


def _column_of(p: Phrase, cols: list[Column]) -> int:
    best, score = 0, -1e9
    for i, c in enumerate(cols):
        overlap = min(p.x1, c.x1) - max(p.x0, c.ext0)
        s = overlap if overlap > 0 else -abs((p.x0 + p.x1) / 2 - c.mid) - 1000
        if s > score:
            best, score = i, s
    return best


def _covered(p: Phrase, cols: list[Column]) -> list[int]:
    """The columns a header phrase stands over: those it overlaps by 30% of its width or half
    the column's; or all those it reaches when it is centred between them (a label over two
    narrow columns far apart); else the nearest one."""
    hit, near = [], []
    for i, c in enumerate(cols):
        overlap = min(p.x1, c.x1) - max(p.x0, c.ext0)
        if overlap > 0 and (overlap >= 0.3 * (p.x1 - p.x0) or overlap >= 0.5 * (c.x1 - c.ext0)):
            hit.append(i)
        if overlap > -2:
            near.append(i)
    mid = (p.x0 + p.x1) / 2
    for i in range(len(cols) - 1):  # centred on the gap between two columns: over both
        a, b = cols[i].mid, cols[i + 1].mid
        if cols[i].x1 < mid < cols[i + 1].ext0 and 0.2 <= (mid - a) / (b - a) <= 0.8 and \
                p.x0 < cols[i].x1 and p.x1 > cols[i + 1].ext0 - (cols[i + 1].ext0 - cols[i].x1) / 2:
            return sorted(set(hit + near) | {i, i + 1})
    if len(hit) < 2 <= len(near):
        mid, a, b = (p.x0 + p.x1) / 2, cols[near[0]].mid, cols[near[-1]].mid
        step = (b - a) / (len(near) - 1)
        if a + 0.25 * step <= mid <= b - 0.25 * step:
            return near
    return hit or [_column_of(p, cols)]


# -- tables ------------------------------------------------------------------------------------

def detect(chars: Sequence[Char], width: float, height: float,
           edges: Sequence[dict[str, Any]] = ()) -> list[FoundTable]:
    """The tables among a page's chars and rules (see :func:`page_content`): ruled grids
    first, then borderless tables in what the grids leave."""
    if not chars:
        return []
    found: list[FoundTable] = []
    verticals = sum(e["orientation"] == "v" for e in edges)
    if verticals >= 3 and len(edges) - verticals >= 3:
        found = _ruled(list(chars), list(edges), width, height)
        if found:
            chars = [c for c in chars if not any(_holds(t.bbox, c) for t in found)]
    if sum(c[4].isdigit() for c in chars) < _MIN_DIGITS:
        return found
    found += _borderless(list(chars), width, height, split=True)
    return sorted(found, key=lambda t: (t.bbox[1], t.bbox[0]))


def _set_apart(group: list[Char]) -> bool:
    """Whether a row has a number standing apart, a wide gap before its first digit: the cheap
    test that a row may be a table row, run before any phrase is built."""
    group.sort(key=_BY_X)
    gap, prev, apart = 0.8 * group[0][5], None, True
    for ch in group:
        apart = prev is None or ch[0] - prev[1] > gap or (apart and prev[4] in "$(€£-")
        if apart and ch[4].isdigit():
            return True
        prev = ch
    return False


def _borderless(chars: list[Char], width: float, height: float, split: bool) -> list[FoundTable]:
    groups = _rows(chars)
    if sum(map(_set_apart, groups)) < _MIN_VALUE_ROWS:
        return []
    rows = _build_rows(groups, width)
    found: list[FoundTable] = []
    for start, end in _blocks(rows):
        table = _table(rows, start, end, width, height)
        if isinstance(table, float):
            if split:  # a column of prose beside the table: each side of the gutter on its own
                top, bottom = rows[start].top, rows[end - 1].bottom
                for side in ([c for c in chars if c[0] + c[1] >= 2 * table],
                             [c for c in chars if c[0] + c[1] < 2 * table]):
                    found += [t for t in _borderless(side, width, height, split=False)
                              if t.bbox[1] <= bottom and t.bbox[3] >= top and t not in found]
        elif table is not None:
            found.append(table)
    return found


def _holds(box: Box, c: Char) -> bool:
    x, y = (c[0] + c[1]) / 2, (c[2] + c[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _ruled(chars: list[Char], edges: list[dict[str, Any]], width: float, height: float
           ) -> list[FoundTable]:
    """Tables drawn as grids: pdfplumber's "lines" method (edges merged and snapped,
    intersections, cells, cells grouped into tables) on the page's rules. A grid needs two rows
    with two filled cells; the first row is the header."""
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    merged = [e for e in merge_edges(edges, 3, 3, 3, 3)
              if (e["height"] if e["orientation"] == "v" else e["width"]) >= 3]
    found = []
    for cells in cells_to_tables(intersections_to_cells(edges_to_intersections(merged, 3, 3))):
        xs = sorted({round(c[0]) for c in cells})
        ys = sorted({round(c[1]) for c in cells})
        grid = [[""] * len(xs) for _ in ys]
        box = (min(c[0] for c in cells), min(c[1] for c in cells),
               max(c[2] for c in cells), max(c[3] for c in cells))
        inner = [c for c in chars if _holds(box, c)]
        stacked = False
        for cell in cells:
            lines = _rows([c for c in inner if _holds(cell, c)])
            # numbers on several lines of one cell: rules that frame a block of rows (a total
            # underlined, a shaded column), not a grid
            stacked |= sum(any(c[4].isdigit() for c in line) for line in lines) > 1
            text = " ".join(" ".join(p.text for p in _merge_signs(_phrases(line))) for line in lines)
            grid[ys.index(round(cell[1]))][xs.index(round(cell[0]))] = text
        if stacked:
            continue
        grid = [r for r in grid if any(r)]
        if len(xs) < 2 or sum(sum(1 for c in r if c) >= 2 for r in grid) < _MIN_VALUE_ROWS:
            continue
        rows = _build_rows(_rows(chars), width)
        above = [i for i, r in enumerate(rows) if r.bottom <= box[1] + 1]
        below = next((r for r in rows if r.top >= box[1] - 1), None)
        caption = _caption(rows, above[-1], below, width, height) if above and below else ""
        table = make_table(caption, grid[0], grid[1:])
        found.append(FoundTable(box, table, to_html(table)))
    return found


def _gap_ok(upper: Row, lower: Row, factor: float = 2.5) -> bool:
    return lower.top - upper.bottom <= factor * max(upper.size, lower.size)


def _blocks(rows: list[Row]) -> Iterable[tuple[int, int]]:
    """Runs of rows that may be a table's body: numeric rows, and the label-only rows between
    them (section headings, wrapped labels), not broken by prose or a wide gap."""
    i, n = 0, len(rows)
    while i < n:
        if not rows[i].numeric or rows[i].years:
            i += 1
            continue
        start = last = i
        j = i + 1
        while j < n and not rows[j].years and (
                _gap_ok(rows[j - 1], rows[j]) or _same_columns(rows, last, j)):
            if rows[j].numeric:
                last = j
            elif any(p.x1 > _label_edge(rows, start, last) + 2 for p in rows[j].phrases):
                break  # text over the value columns: prose, or the next table's header
            j += 1
        yield start, last + 1
        i = last + 1


def _same_columns(rows: list[Row], last: int, j: int) -> bool:
    """Whether the table goes on past a wider gap: the next numeric row, within a few lines, has
    its numbers where the last one has (a section of a statement set a little apart)."""
    ends = [p.x1 for p in rows[last].phrases if p.value]
    for k in range(j, min(j + 3, len(rows))):
        if rows[k].top - rows[last].bottom > 6 * rows[last].size:
            return False
        if rows[k].numeric:
            other = [p.x1 for p in rows[k].phrases if p.value]
            return len(other) == len(ends) >= 2 and all(abs(a - b) < 3 for a, b in zip(ends, other))
    return False


def _label_edge(rows: list[Row], start: int, end: int) -> float:
    """Where the value columns begin: the left edge of the leftmost number that has a label
    (or another number) to its left."""
    xs = [p.x0 for r in rows[start:end + 1] for p in r.phrases[1:] if p.value]
    return min(xs) - 2 if xs else float("inf")


def _table(rows: list[Row], start: int, end: int, width: float, height: float
           ) -> FoundTable | float | None:
    """The table whose body is ``rows[start:end]``, or None; or, when the rows run across a
    column of prose beside the table (two-column pages), the x of the gutter to split at."""
    body = rows[start:end]
    left = min(r.phrases[0].x0 for r in body)
    values = [p for r in body if r.numeric for k, p in enumerate(r.phrases)
              if p.value and not (k == 0 and p.x0 < left + 0.1 * width)]
    cols = _columns(values)
    if not cols:
        return None
    gutter = _gutter(body, cols)
    if gutter is not None:
        return gutter
    edge = min(c.ext0 for c in cols) - 2

    # label-only rows right above the first numbers ("Assets", "Current assets:") belong to
    # the body when a header row stands above them; without one they may be the caption
    j = start - 1
    prefix: list[Row] = []
    while j >= 0 and _gap_ok(rows[j], prefix[0] if prefix else body[0]) and \
            not rows[j].numeric and all(p.x1 <= edge + 2 for p in rows[j].phrases):
        prefix.insert(0, rows[j])
        j -= 1
    head = _head(rows, j, prefix[0] if prefix else body[0], edge)
    if head:
        body, j = prefix + body, j - len(head)
    else:
        j = start - 1
    caption = _caption(rows, j, head[0] if head else body[0], width, height)


    # body: label + one cell per column
    ncol = len(cols)
    grid: list[tuple[Row, str, list[list[str]], bool]] = []
    for r in body:
        label, cells = [], [[] for _ in range(ncol)]
        for p in r.phrases:
            if p.x1 <= edge + 2 or (p.x0 < edge and p.kind == "text"):
                label.append(p.text)
            else:
                cells[_column_of(p, cols)].append(p.text)
        has_values = any(p.value for p in r.phrases if p.x1 > edge + 2)
        grid.append((r, " ".join(label), cells, has_values))
    body_rows = _merge_wrapped(grid, edge)

    value_rows = [c for _, c, v in body_rows if v]
    filled = [sum(1 for cells in value_rows if cells[i]) for i in range(ncol)]
    labelled = sum(1 for label, _, v in body_rows if v and label)
    text_cells = sum(1 for _, cells, _ in body_rows for c in cells
                     if c and _kind(c) == "text")
    num_cells = sum(1 for _, cells, _ in body_rows for c in cells if c and _kind(c) != "text")
    header = _header(head, cols, edge, left)
    columns = sum(f >= 2 for f in filled)
    if columns == 1 and ncol == 1:  # one column of amounts is a table under a header of its own
        amounts = [c for cells in value_rows for c in cells if any(m in c for m in "$,.(%")]
        columns += bool(header[1] and amounts)
    if (len(value_rows) < _MIN_VALUE_ROWS or columns < _MIN_VALUE_COLUMNS
            or 2 * len(value_rows) < len(body_rows) or 2 * labelled < len(value_rows)
            or text_cells > num_cells):
        return None

    table = make_table(caption, header, [(label, *cells) for label, cells, _ in body_rows])
    everything = [p for r in head + body for p in r.phrases]
    bbox = (min(p.x0 for p in everything), min(p.top for p in everything),
            max(p.x1 for p in everything), max(p.bottom for p in everything))
    return FoundTable(bbox, table, to_html(table))


def _gutter(body: list[Row], cols: list[Column]) -> float | None:
    """Where a column of prose beside the table ends (or begins): on a two-column page a row
    runs from the prose through the table. Found when most rows have, before their label (or
    after their last number), a phrase of several words that no other row's label reaches."""
    inner = []
    for r in body:
        texts = [p for p in r.phrases if p.kind == "text" and p.x1 < cols[0].ext0]
        if r.numeric and texts:
            inner.append(texts[-1].x0)
    if inner:
        cut = sorted(inner)[len(inner) // 2] - 1
        outer = [p for r in body for p in r.phrases if p.kind == "text" and p.x1 < cut - 2]
        rows_with = sum(1 for r in body if any(p.kind == "text" and p.x1 < cut - 2 for p in r.phrases))
        if outer and rows_with * 2 >= len(body) and \
                sum(p.words for p in outer) >= 4 * len(outer):
            return cut
    last = cols[-1].x1
    outer = [p for r in body for p in r.phrases if p.kind == "text" and p.x0 > last + 2]
    rows_with = sum(1 for r in body if any(p.kind == "text" and p.x0 > last + 2 for p in r.phrases))
    if outer and rows_with * 2 >= len(body) and sum(p.words for p in outer) >= 4 * len(outer):
        return min(p.x0 for p in outer) - 1
    return None


def _head(rows: list[Row], j: int, below: Row, edge: float) -> list[Row]:
    """The header rows above row ``j + 1``: short labels over the value columns (years too),
    close together; a row with no label over the columns, or one that runs across the column
    edge like prose, ends them."""
    head: list[Row] = []
    while j >= 0 and len(head) < _MAX_HEADER_ROWS:
        r = rows[j]
        if not _gap_ok(r, head[0] if head else below, 2.0) or r.prose or (r.numeric and not r.years):
            break
        if not any(p.x1 > edge + 2 for p in r.phrases) or \
                any(p.words > 8 and p.x1 > edge + 2 for p in r.phrases) or \
                any(p.x0 < edge - 10 and p.x1 > edge + 2 and (p.words > 4 or len(r.phrases) == 1)
                    for p in r.phrases) or any(p.text.endswith(".") and p.words > 2 for p in r.phrases):
            break
        head.insert(0, r)
        j -= 1
    return head


def _merge_wrapped(grid: list[tuple[Row, str, list[list[str]], bool]], edge: float
                   ) -> list[tuple[str, list[str], bool]]:
    """Rows as (label, cells, has_values); a label wrapped over two lines becomes one: a row
    without values followed by its continuation (lowercase start, a dangling "of"/"and"/",", or
    a line that ran up to the value columns), and a lowercase value-less line after a row."""
    out: list[list[Any]] = []
    for row, label, cells, has_values in grid:
        text_cells = [" ".join(c) for c in cells]
        if out and label and not any(text_cells):
            prev_row, prev = out[-1][0], out[-1]
            if prev[2] and label[:1].islower() and row.top - prev_row.bottom <= 0.8 * row.size:
                prev[1] = f"{prev[1]} {label}"
                continue
        if out and label and not out[-1][2] and out[-1][1] and not any(out[-1][3]):
            prev_row, prev = out[-1][0], out[-1]
            first_x = row.phrases[0].x0
            ran_to_edge = prev_row.phrases[-1].x1 > edge - 0.1 * (edge - prev_row.phrases[0].x0)
            close = row.top - prev_row.bottom <= 0.8 * row.size
            if close and (label[:1].islower() or _CONTINUES.search(prev[1])
                          or prev[1].count("(") > prev[1].count(")")
                          or (ran_to_edge and first_x > prev_row.phrases[0].x0 + 1)):
                out[-1] = [row, f"{prev[1]} {label}", has_values, text_cells]
                continue
        out.append([row, label, has_values, text_cells])
    return [(label, cells, has_values) for _, label, has_values, cells in out]


def _header(head: list[Row], cols: list[Column], edge: float, left: float) -> list[str]:
    """One label per column (the row-label column first): each header row's phrases put over
    the columns they stand above; rows of one-column labels stacked under each other (a long
    header wrapped in a narrow column) are read as one level, spanning rows as their own."""
    ncol = len(cols)
    levels: list[list[str]] = []
    prev_spanning = True
    def over_columns(r: Row) -> list[Phrase]:
        return [p for p in r.phrases if not (p.x1 <= edge + 2 and p.x0 < left + 0.5 * (edge - left))]

    middles = [(cols[0].ext0 + cols[-1].x1) / 2]  # of the numbers, and of the labels below
    if len(head) > 1 and over_columns(head[1]):
        below = over_columns(head[1])
        middles.append((below[0].x0 + below[-1].x1) / 2)
    for n_row, r in enumerate(head):
        cells = [""] * (ncol + 1)
        spanning = False
        over = over_columns(r)
        for p in r.phrases:
            if p not in over:
                cells[0] = f"{cells[0]} {p.text}".strip()
                continue
            hit = _covered(p, cols)
            if n_row == 0 and len(head) > 1 and len(over) == 1 and ncol > 2 and \
                    min(abs((p.x0 + p.x1) / 2 - m) for m in middles) < 0.05 * (cols[-1].x1 - cols[0].ext0):
                hit = list(range(ncol))  # one label centred over all the columns: "December 31,"
            words = _one_word_each(p, cols, hit)
            spanning |= len(hit) > 1 and not words
            for n, i in enumerate(hit):
                cells[i + 1] = f"{cells[i + 1]} {words[n] if words else p.text}".strip()
        if levels and not spanning and not prev_spanning:
            levels[-1] = [f"{a} {b}".strip() for a, b in zip(levels[-1], cells)]
        else:
            levels.append(cells)
        prev_spanning = spanning
    merged = []
    for i in range(ncol + 1):
        parts: list[str] = []
        for level in levels:
            if level[i] and (not parts or parts[-1] != level[i]):
                parts.append(level[i])
        merged.append(HEADER_JOIN.join(parts))
    return merged


def _one_word_each(p: Phrase, cols: list[Column], hit: list[int]) -> list[str]:
    """A header phrase over several columns that is one label per column set a little too
    close ("Top-1 Top-5 Top-20"): as many words as columns, set wider apart than words are, each
    over its own column. Else [] (a label that spans them: "Three Months Ended")."""
    if len(hit) < 2 or len(p.spans) != len(hit):
        return []
    for (x0, x1, _), (nx0, _, _) in zip(p.spans, p.spans[1:]):
        if nx0 - x1 < 0.45 * p.size:
            return []
    for (x0, x1, _), i in zip(p.spans, hit):
        if not cols[i].ext0 - 2 <= (x0 + x1) / 2 <= cols[i].x1 + 2:
            return []
    return [w for _, _, w in p.spans]


def _caption(rows: list[Row], j: int, below: Row, width: float, height: float) -> str:
    """The heading lines just above the table: short (or bold, or centred) lines close above
    it, or the lead-in sentence that ends with a colon; "" if none."""
    lines: list[str] = []
    while j >= 0 and len(lines) < _MAX_CAPTION_LINES:
        r = rows[j]
        if not _gap_ok(r, below, 2.2) or (r.numeric and not r.years) or r.top < 0.05 * height:
            break  # (the top margin holds running heads and navigation links)
        text = r.text.strip()
        words = len(text.split())
        bold = all(p.bold for p in r.phrases)
        centred = abs((r.phrases[0].x0 + r.phrases[-1].x1) / 2 - width / 2) < 0.05 * width \
            and r.phrases[-1].x1 - r.phrases[0].x0 < 0.7 * width
        lead_in = text.endswith(":") and (not lines or lines[0].endswith(":"))
        if not (lead_in or (words <= 15 and not text.endswith(".")) or bold or centred) or \
                (r.prose and not lead_in and not (lines and lines[0].endswith(":"))):
            break
        lines.insert(0, text)
        below, j = r, j - 1
    out = lines[0] if lines else ""
    for prev, line in zip(lines, lines[1:]):  # a wrapped sentence is one; headings are " — "
        wrapped = line[:1].islower() or (len(prev.split()) >= 8 and prev[-1:] not in ".:")
        out += (" " if wrapped else " — ") + line
    return out


def to_html(table: Table) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in table.header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    return (f"<table><caption>{esc(table.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def inside(box: Box, x0: float, top: float, x1: float, bottom: float) -> bool:
    """Whether a text line (top-down box) lies in a table: its middle is within the table's
    rows and most of its width within the table's columns."""
    mid = (top + bottom) / 2
    if not box[1] - 1 <= mid <= box[3] + 1:
        return False
    overlap = min(x1, box[2]) - max(x0, box[0])
    return overlap >= 0.5 * max(x1 - x0, 1e-6)
