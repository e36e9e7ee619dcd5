"""PDF tables without a model: borderless financial tables, ruled grids and ragged tables become
Table elements (caption, merged header, row labels, values) in reading order, their text is not
repeated in the prose around them, and pages of prose stay prose.

Every PDF is written here by hand (Courier, so that right-aligned numbers can be placed exactly).
"""

from __future__ import annotations

import pytest

from docent.ingest.parse import ParsedDocument, parse_bytes
from docent.ingest.table import HEADER_JOIN
from tests.pdf_writer import escape, write_pdf

W = 0.6  # Courier: every glyph is 0.6 em wide


def text(x: float, y: float, s: str, size: float = 10, bold: bool = False) -> tuple:
    return ("text", x, y, s, size, bold)


def right(x1: float, y: float, s: str, size: float = 10) -> tuple:
    """Text whose right edge is at ``x1`` (numbers in a column)."""
    return text(x1 - W * size * len(s), y, s, size)


def centred(mid: float, y: float, s: str, size: float = 10, bold: bool = False) -> tuple:
    return text(mid - W * size * len(s) / 2, y, s, size, bold)


def rule(x0: float, y0: float, x1: float, y1: float) -> tuple:
    return ("rule", x0, y0, x1, y1)


def make_pdf(pages: list[list[tuple]]) -> bytes:
    """A valid PDF of US-letter pages holding the given text runs and ruled lines."""
    contents = []
    for items in pages:
        ops = []
        for item in items:
            if item[0] == "text":
                _, x, y, s, size, bold = item
                ops.append(f"BT /F{2 if bold else 1} {size} Tf {x:.2f} {y:.2f} Td ({escape(s)}) Tj ET")
            else:
                _, x0, y0, x1, y1 = item
                ops.append(f"0.5 w {x0} {y0} m {x1} {y1} l S")
        contents.append("\n".join(ops))
    return write_pdf(contents, ("Courier", "Courier-Bold"))


PROSE = [
    "Revenue grew in the second quarter as demand for industrial widgets recovered in all",
    "regions. In 2024 we opened 12 stores, closed 3 and hired 1,250 people; sales rose 5% to",
    "$1,234 million, compared with $1,175 million in 2023, and margins improved by 40 basis",
    "points. We expect 2 to 3 new plants in 2025 and 2026, costing $150 to $200 million.",
]


def prose_page(top: float = 720) -> list[tuple]:
    return [text(72, top - 14 * i, line) for i, line in enumerate(PROSE)]


def financial_page() -> list[tuple]:
    """A borderless statement: caption, a header spanning two columns over two dates, "$" in
    its own little column, negatives in parentheses, a label wrapped over two lines."""
    c1, c2 = 400, 500  # right edges of the value columns
    rows = [("Net revenue", "5,363", "4,869", True),
            ("Cost of revenue", "(370)", "(967)", False),
            ("Research and development expenses for", None, None, False),
            ("  new products and services", "(1,012)", "(885)", False),
            ("Operating income", "3,981", "3,017", True)]
    items = [text(72, 700, "Our results for the quarter are summarised below."),
             centred(306, 670, "Consolidated Statements of Operations", 11, bold=True),
             centred(400, 648, "Three Months Ended"),
             right(c1, 634, "June 30, 2024"), right(c2, 634, "June 30, 2023"),
             text(72, 634, "(In millions)")]
    y = 616
    for label, a, b, dollar in rows:
        items.append(text(72, y, label))
        for x1, value in ((c1, a), (c2, b)):
            if value is not None:
                items.append(right(x1 + (W * 10 if value.startswith("(") else 0), y, value))
                if dollar:
                    items.append(text(x1 - 80, y, "$"))
        y -= 14
    items += [text(72, y - 20, "The accompanying notes are an integral part of this statement."),
              text(72, y - 34, "Operating income rose on higher prices and lower freight costs.")]
    return items


def tables(doc: ParsedDocument) -> list:
    return [e for e in doc.elements if e.table is not None]


def prose_text(doc: ParsedDocument) -> str:
    return "\n".join(e.text for e in doc.elements if e.table is None)


def test_borderless_financial_table_with_spanning_header() -> None:
    doc = parse_bytes(make_pdf([prose_page(), financial_page()]), "q2.pdf")
    [el] = tables(doc)
    table = el.table
    assert el.category == "Table" and el.page == 2
    # The caption heads the table's section (every piece of a split table repeats it) and is said once.
    assert el.section[-1] == "Consolidated Statements of Operations" and table.caption == ""
    assert [e.category for e in doc.elements if e.text == "Consolidated Statements of Operations"] == ["Title"]
    assert table.header == ("(In millions)", f"Three Months Ended{HEADER_JOIN}June 30, 2024",
                            f"Three Months Ended{HEADER_JOIN}June 30, 2023")
    assert table.rows == (
        ("Net revenue", "$5,363", "$4,869"),
        ("Cost of revenue", "(370)", "(967)"),
        ("Research and development expenses for new products and services", "(1,012)", "(885)"),
        ("Operating income", "$3,981", "$3,017"),
    )
    # the prose around the table is kept, once, in reading order; the table's text is not
    texts = [e.text for e in doc.elements]
    before = texts.index("Our results for the quarter are summarised below.")
    after = next(i for i, t in enumerate(texts) if t.startswith("The accompanying notes"))
    assert before < texts.index(el.text) < after
    assert sum("Operating income rose on higher prices" in t for t in texts) == 1
    prose = prose_text(doc)
    for fragment in ("5,363", "(967)", "June 30, 2024", "Net revenue", "new products", "Three Months"):
        assert fragment not in prose
    # the page of prose before it (numbers and all) is not a table, and is all there
    assert all(e.page == 1 for e in doc.elements if "industrial widgets" in e.text)
    assert "costing $150 to $200 million" in " ".join(prose.split())


def test_a_page_of_prose_is_not_a_table() -> None:
    lines = prose_page() + prose_page(600) + [
        text(72, 420, "Item 1."), text(150, 420, "Business"), right(540, 420, "3"),
        text(72, 406, "Item 1A."), text(150, 406, "Risk Factors"), right(540, 406, "12"),
        text(72, 392, "Item 2."), text(150, 392, "Properties"), right(540, 392, "25"),
    ]
    doc = parse_bytes(make_pdf([lines]), "letter.pdf")
    assert not tables(doc)
    assert "industrial widgets" in prose_text(doc) and "Risk Factors" in prose_text(doc)


def test_ruled_table_of_text() -> None:
    grid = [("Office", "Manager", "Opened"), ("Berlin", "Anna Schmidt", "March"),
            ("Paris", "Louis Martin", "June"), ("Madrid", "Sofia Garcia", "May")]
    xs, top = (72, 200, 360, 480), 700
    items = [text(72, 712, "Offices", 12, bold=True)]
    for i, row in enumerate(grid):
        y = top - 20 * i
        items += [text(x + 6, y - 14, cell) for x, cell in zip(xs, row)]
    items += [rule(72, top - 20 * i, 480, top - 20 * i) for i in range(len(grid) + 1)]
    items += [rule(x, top, x, top - 20 * len(grid)) for x in xs]
    items.append(text(72, 600, "Each office reports to the regional director."))
    doc = parse_bytes(make_pdf([items]), "offices.pdf")
    [el] = tables(doc)
    assert el.section[-1] == "Offices"
    assert el.table.header == ("Office", "Manager", "Opened")
    assert el.table.rows == tuple(grid[1:])
    assert "Each office reports" in prose_text(doc) and "Anna Schmidt" not in prose_text(doc)


def test_ragged_table_keeps_every_cell() -> None:
    cols = (300, 380, 460)
    items = [text(72, 700, "Units sold by region", bold=True),
             *(right(x, 682, year) for x, year in zip(cols, ("2024", "2023", "2022")))]
    body = [("Americas", ("100", "90", "80")), ("Europe", ("50", "45", None)),
            ("Asia", ("30", None, "20")), ("Other", ("5", "4", "3", "1"))]
    for i, (label, values) in enumerate(body):
        y = 668 - 14 * i
        items.append(text(72, y, label))
        for x, value in zip((*cols, 540), values):
            if value is not None:
                items.append(right(x, y, value))
    doc = parse_bytes(make_pdf([items]), "units.pdf")
    [el] = tables(doc)
    assert el.section[-1] == "Units sold by region"
    assert el.table.header[:4] == ("", "2024", "2023", "2022")
    assert el.table.rows == (("Americas", "100", "90", "80", ""), ("Europe", "50", "45", "", ""),
                             ("Asia", "30", "", "20", ""), ("Other", "5", "4", "3", "1"))


def test_find_tables_skips_pages_without_numbers_cheaply() -> None:
    from docent.ingest import pdf_tables

    chars = [(72.0 + 6 * i, 78.0 + 6 * i, 100.0, 110.0, "a", 10.0, False) for i in range(80)]
    assert pdf_tables.detect(chars, 612, 792) == []


def test_a_table_finder_failure_keeps_the_page_as_prose(monkeypatch: pytest.MonkeyPatch) -> None:
    from docent.ingest import pdf

    def broken(*_args):
        raise ValueError("unexpected layout")

    monkeypatch.setattr(pdf, "detect", broken)
    doc = parse_bytes(make_pdf([financial_page()]), "q2.pdf")
    assert not tables(doc)
    assert "5,363" in prose_text(doc) and "Operating income rose" in prose_text(doc)


def test_a_units_line_is_no_heading() -> None:
    doc = parse_bytes(make_pdf([[text(72, 700, "Segment results", bold=True),
                                 text(72, 680, "(In millions, except per share amounts)", bold=True),
                                 text(72, 650, "Revenue grew in every segment this year.")]]), "units.pdf")
    categories = {e.text: e.category for e in doc.elements}
    assert categories["Segment results"] == "Title"
    assert categories["(In millions, except per share amounts)"] != "Title"
    assert doc.elements[-1].section == ("Segment results",)
