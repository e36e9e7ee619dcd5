"""Which document a chunk belongs to: organisation, kind of document, period, title, file name.

Twenty filings share headings such as "Consolidated Statements of Operations"; a chunk that does
not say whose statements they are, and for which period, cannot be told from its look-alikes by
a search or by a reader. :func:`identify` reads the opening of a document (cover page, first
lines) with cheap, deterministic rules that hold for reports in general — a registrant's name
above "(Exact name of registrant …)", a name followed by its stock ticker, a name with a
corporate suffix; "Form 10-K", "quarterly report", "reports … results"; "for the fiscal year
ended …", "first quarter 2023", "Date of report …" — and :meth:`DocumentIdentity.header` is the
one line every chunk of the document starts with (indexed, embedded, counted in the budget).
Nothing here knows a company, a file or a question.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from docent.ingest.parse import Element
from docent.ingest.sources import display_name

HEADER_PREFIX = "Document: "
OPENING_CHARS = 6000  # the cover page and a little more: where reports say who, what and when

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = rf"{_MONTH}\s+\d{{1,2}}\s*,\s*(?:19|20)\d\d"
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_SUFFIX = (r"(?:Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|Ltd\.?|Limited|plc|PLC|LLC|L\.P\.|"
           r"N\.V\.|S\.A\.|AG|SE|Group|Holdings)")
_NAME_WORD = r"(?:[A-Z0-9][\w&.'’-]*|&|and|of|de)"
_SUFFIXED = re.compile(rf"\b((?:{_NAME_WORD}[ ,]+){{1,5}}{_SUFFIX})(?![\w])", re.I)
_REGISTRANT = re.compile(r"\(\s*exact name of (?:the )?registrant", re.I)
_TICKER = re.compile(r"([A-Z][\w&.,'’ -]{1,60}?)\s*\(\s*(?:NYSE|NASDAQ|Nasdaq|NYSE American|LSE|TSX|ASX)\s*:\s*[A-Z.]+\s*\)")
_NOT_NAME = frozenset("commission file number no no. act form section securities exchange the of and report "
                      "registrant state incorporation identification employer".split())

_FORM = re.compile(r"(?<![a-z])form\s*(10-K|10-Q|8-K|20-F|40-F|6-K|S-1|DEF\s*14A)\b", re.I)
_FORM_KIND = {"10-K": "annual report", "10-Q": "quarterly report", "8-K": "current report", "20-F": "annual report",
              "40-F": "annual report", "6-K": "current report", "S-1": "registration statement",
              "DEF 14A": "proxy statement"}
_KINDS = (  # (pattern on the opening text, kind): first match wins
    (re.compile(r"\b(?:reports?|announces?)\b[^.\n]{0,80}\b(?:results|earnings)\b", re.I), "earnings release"),
    (re.compile(r"\b(?:press release|for immediate release)\b", re.I), "press release"),
    (re.compile(r"\bannual report\b", re.I), "annual report"),
    (re.compile(r"\bquarterly report\b", re.I), "quarterly report"),
    (re.compile(r"\b(data ?sheet|price list|invoice|prospectus|white paper|handbook|manual|policy|agreement|"
                r"contract|minutes|specification|proposal|statement of work)\b", re.I), None),
)
_YEAR_ENDED = re.compile(rf"for the (?:fiscal )?year ended\s+({_DATE})", re.I)
_QUARTER_ENDED = re.compile(rf"for the (?:quarterly period|quarter|three months) ended\s+({_DATE})", re.I)
_REPORT_DATE = re.compile(rf"date of report[^:]{{0,60}}:\s*({_DATE})", re.I)
_NAMED_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter(?:\s+of)?\s+(fiscal\s+)?((?:19|20)\d\d)\b"
                            r"|\b((?:19|20)\d\d)\s+(first|second|third|fourth)[- ]quarter\b", re.I)
_FISCAL_YEAR = re.compile(r"\bfiscal(?: year)?\s+((?:19|20)\d\d)\b", re.I)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True)
class DocumentIdentity:
    """What tells a document from its look-alikes; any field may be "" when it was not found."""

    file_name: str
    title: str = ""
    organisation: str = ""
    doc_type: str = ""
    period: str = ""

    def header(self) -> str:
        """The line each chunk starts with: "Document: 3M Company, Form 10-K annual report, FY2018 (3M_2018_10K.pdf)"."""
        parts = [p for p in (self.organisation, self.doc_type, self.period) if p]
        if not parts and self.title and self.title != self.file_name:
            parts = [self.title]
        named = ", ".join(parts)
        return f"{HEADER_PREFIX}{named} ({self.file_name})" if named else f"{HEADER_PREFIX}{self.file_name}"

    def metadata(self) -> dict[str, str]:
        """The fields a chunk stores (filterable: organisation, doc_type, period)."""
        return {"title": self.title, "organisation": self.organisation, "doc_type": self.doc_type, "period": self.period}

    def years(self) -> set[str]:
        """The years its period and file name mention (what a question's "2018" or "FY2018" matches)."""
        return set(_YEAR.findall(f"{self.period} {self.file_name}"))


def identify(elements: Sequence[Element], source_uri: str) -> DocumentIdentity:
    """The identity of a parsed document, from its opening text and its file name."""
    opening, size = [], 0
    for el in elements:
        opening.append(" ".join(el.text.split()))
        size += len(opening[-1])
        if size > OPENING_CHARS:
            break
    # Cover pages glue cells together ("1-7657American Express", "____BEST BUY", "----PFIZER INC.").
    text = re.sub(r"(\d-\d+)(?=[A-Z])|[_\-–—=*]{2,}", r"\1 ", "\n".join(opening))
    organisation = _organisation(text)
    doc_type = _doc_type(text)
    title = next((" ".join(e.text.split()) for e in elements[:20] if e.category == "Title"
                  and 2 <= len(e.text.split()) <= 14), "")
    return DocumentIdentity(display_name(source_uri), title or "", organisation, doc_type, _period(text))


def describe(text: str) -> str:
    """Which document a chunk's text is from, as a person reads it: its identity line without the
    prefix and the file name ("3M Company, Form 10-K annual report, FY2018"); "" when it has none."""
    named = identity_line(text).removeprefix(HEADER_PREFIX)
    return named.rsplit(" (", 1)[0] if named.endswith(")") and " (" in named else ""


def identity_line(text: str) -> str:
    """A chunk's identity line ("Document: …"), or "" when it has none."""
    first = text.split("\n", 1)[0]
    return first if first.startswith(HEADER_PREFIX) else ""


def strip_header(text: str) -> str:
    """A chunk's text without its identity line (what a person reads as the passage)."""
    return text.split("\n", 1)[1] if text.startswith(HEADER_PREFIX) and "\n" in text else text


def _organisation(text: str) -> str:
    """The registrant above "(Exact name of registrant…)", a name before its ticker, else the most
    frequent name with a corporate suffix in the opening."""
    found = _REGISTRANT.search(text)
    if found:
        name = _trailing_name(text[max(0, found.start() - 160) : found.start()])
        if name:
            return name
    ticker = _TICKER.search(text)
    if ticker:
        name = _trailing_name(ticker.group(1))
        if name:
            return name
    names = Counter(n for m in _SUFFIXED.finditer(text) if (n := _trailing_name(m.group(1))))
    return names.most_common(1)[0][0] if names else ""


def _trailing_name(text: str) -> str:
    """The name a piece of text ends with: its last words that read as a proper name."""
    words = text.replace("\n", " ").split()
    kept: list[str] = []
    for word in reversed(words):
        bare = word.strip(".,:;()[]“”\"'").lower()
        if not bare or bare.isdigit() or re.search(r"\d-\d|^\(|\)$", word) or bare in _NOT_NAME and bare not in ("the", "and", "of") \
                or not (word[0].isupper() or word[0].isdigit() or bare in ("&", "and", "of", "the", "de")):
            break
        kept.insert(0, word)
        if len(kept) == 6:
            break
    while kept and (kept[0].strip(",").lower() in ("and", "of", "&", "de") or kept[0] == "the"):
        kept.pop(0)
    name = " ".join(kept).strip(" ,;:")
    generic = all(w.strip(".,").lower() in ("the", "company", "inc", "corporation", "group") for w in kept)
    return _titled(name) if len(name) >= 2 and any(c.isalpha() for c in name) and not generic else ""


def _titled(name: str) -> str:
    """ALL-CAPS names read as names: "ACTIVISION BLIZZARD, INC." → "Activision Blizzard, Inc."."""
    if name != name.upper():
        return name
    suffixes = {"INC", "CO", "CORP", "LTD"}
    return " ".join(w.capitalize() if w.strip(".,") in suffixes or len(w.strip(".,&")) > 3 and w[0].isalpha() else w
                    for w in name.split())


def _doc_type(text: str) -> str:
    """The kind named first in the opening: a cover's "FORM 10-K", or a release's "… reports … results"
    (which may mention a Form 10-Q further down)."""
    found: list[tuple[int, str]] = []
    if form := _FORM.search(text):
        code = " ".join(form.group(1).upper().split())
        found.append((form.start(), f"Form {code} {_FORM_KIND[code]}"))
    for pattern, kind in _KINDS:
        if match := pattern.search(text):
            found.append((match.start(), kind or match.group(1).lower()))
    return min(found)[1] if found else ""


def _period(text: str) -> str:
    """"FY2018 (year ended December 31, 2018)", "quarter ended June 30, 2023", "Q4 FY2022", "May 3, 2023"."""
    if found := _YEAR_ENDED.search(text):
        date = " ".join(found.group(1).split())
        # A 52/53-week year that ends in the first days of January is named for the year before.
        early_january = re.match(r"January [1-7]\s*,", date) is not None
        return f"FY{int(date[-4:]) - early_january} (year ended {date})"
    if found := _QUARTER_ENDED.search(text):
        return f"quarter ended {' '.join(found.group(1).split())}"
    if found := _NAMED_QUARTER.search(text):
        word, fiscal, year = (found.group(1), found.group(2), found.group(3)) if found.group(1) \
            else (found.group(5), None, found.group(4))
        return f"Q{_ORDINAL[word.lower()]} {'FY' if fiscal else ''}{year}"
    if found := _FISCAL_YEAR.search(text):
        return f"FY{found.group(1)}"
    if found := _REPORT_DATE.search(text):
        return " ".join(found.group(1).split())
    return ""
