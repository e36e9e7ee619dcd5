"""Retrieval over look-alike documents: the organisation, period and kind a question names come first.

Twenty filings share the same tables and headings; what tells them apart is each chunk's
identity (``docent.ingest.identity``: organisation, kind of document, period, file name). A
question's *cues* are matched against those fields — the organisation's distinctive words, the
years ("2018", "FY2018", "Q3 2023"), and the kind ("10-K", "annual report", "earnings") — never
against a list of known companies or questions. :func:`rank` puts the best-matching documents first;
:func:`diversify` spreads hits over documents when a question spans several periods or
organisations ("how did X change from 2021 to 2022?"), so each of them brings its evidence.

Matching documents come *first*, not merely higher: look-alike chunks differ by noise in their
fused scores (z-scores spread any candidate list to unit variance), so a bonus on the score
would let a near-copy from the wrong year win. Hits are ordered by their document's match, then
by score; a question with no cue keeps the fused order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from docent.index.base import Chunk, SearchHit

ORGANISATION_WEIGHT = 1.0  # the organisation outweighs the period, which outweighs the kind
PERIOD_WEIGHT = 0.5
KIND_WEIGHT = 0.25
_WORD = re.compile(r"[a-z0-9]+(?:[.&'][a-z0-9]+)*")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_RECENT = re.compile(r"\b(?:most recent|latest|newest|last|current)\s+(?:(?:fiscal|financial|calendar)\s+)?"
                     r"(?:quarter|year|annual|quarterly|report|filing|period|10-k|10-q)")
_MONTHS = {m: i for i, m in enumerate("january february march april may june july august september october "
                                      "november december".split(), 1)}
_DATED = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\s*,\s*((?:19|20)\d\d)", re.I)
_QUARTER = re.compile(r"\bQ([1-4])\s*((?:19|20)\d\d)", re.I)
_SHORT_YEAR = re.compile(r"\b(?:fy|q[1-4]\s?)'?(\d\d)\b", re.I)  # "FY18", "Q3 '23"
_GENERIC = frozenset("the a an and of & inc incorporated corporation corp company co ltd limited plc llc lp n.v "
                     "s.a ag se group holdings international".split())
_FILE_KINDS = frozenset("annual quarterly report earnings release dated form filing proxy statement draft final copy "
                        "press presentation transcript".split())
_KINDS = {  # a question's words → the kind of document they ask for (matched in doc_type)
    "10-k": "10-K", "annual": "annual", "10-q": "10-Q", "quarterly": "quarterly", "8-k": "8-K",
    "earnings": "earnings", "press": "press release", "proxy": "proxy",
}


@dataclass(frozen=True)
class Cues:
    """What a question says about which document it wants."""

    words: frozenset[str]
    years: frozenset[str]
    kinds: frozenset[str]
    recent: bool = False  # "the most recent quarter", "the latest annual report": the newest period wanted

    @property
    def spans_documents(self) -> bool:
        """Several periods named: the evidence lives in several documents."""
        return len(self.years) > 1


def cues(question: str) -> Cues:
    text = question.lower()
    years = set(_YEAR.findall(text)) | {f"20{y}" for y in _SHORT_YEAR.findall(text)}
    words = frozenset(w.removesuffix("'s") for w in _WORD.findall(text.replace("’", "'")))
    kinds = frozenset(kind for word, kind in _KINDS.items() if word in words or word in text)
    return Cues(words, frozenset(years), kinds, bool(_RECENT.search(text)) and not years)


def _organisation_match(chunk: Chunk, cue: Cues) -> float:
    """Share of the organisation's distinctive words the question has ("Best Buy Co., Inc." → best, buy);
    1 when the question names a distinctive word of the file's name (files are often named for
    whose they are: "BLOCK_2020_10K.pdf" for a filing made under a former name) or abbreviates the
    organisation ("Amex", "J&J")."""
    names = [w for w in _WORD.findall(chunk.organisation.lower()) if w not in _GENERIC]
    share = sum(w in cue.words for w in names) / len(names) if names else 0.0
    if share < 1.0 and (_file_words(chunk.source_uri) & cue.words or _abbreviated(chunk.organisation, cue.words)):
        return 1.0
    return share


def _abbreviated(organisation: str, words: frozenset[str]) -> bool:
    """Whether a word of the question is made of the starts of each of the organisation's words, in
    order ("amex": American Express; "jnj", "j&j": Johnson & Johnson, "&" read as "n")."""
    parts = _abbreviation_parts(organisation)
    return len(parts) >= 2 and any(len(w) >= 3 and _starts(w.replace("&", "n"), parts) for w in words)


@lru_cache(maxsize=1024)
def _abbreviation_parts(organisation: str) -> tuple[str, ...]:
    text = re.sub(r"\s*&\s*|\band\b", " n ", organisation.lower())
    return tuple(w for w in _WORD.findall(text) if w not in _GENERIC)


def _starts(word: str, parts: tuple[str, ...]) -> bool:
    """``word`` is a non-empty start of each of ``parts`` in turn, and nothing more."""
    if not parts:
        return not word
    first = parts[0]
    return any(word[:i] == first[:i] and _starts(word[i:], parts[1:]) for i in range(1, min(len(first), len(word)) + 1))


@lru_cache(maxsize=4096)
def _file_words(uri: str) -> frozenset[str]:
    """The words of a file's name that could name an organisation: 4+ letters, not a kind of document."""
    stem = uri.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    return frozenset(w for w in re.split(r"[^a-z]+", stem) if len(w) >= 4) - _GENERIC - _FILE_KINDS


def _years(chunk: Chunk) -> set[str]:
    name = chunk.source_uri.rsplit("/", 1)[-1]
    return set(_YEAR.findall(f"{chunk.period} {name}"))


def match(chunk: Chunk, cue: Cues) -> float:
    """How well a chunk's document fits the question's cues, in units of a fused score."""
    score = ORGANISATION_WEIGHT * _organisation_match(chunk, cue)
    if cue.years and cue.years & _years(chunk):
        score += PERIOD_WEIGHT
    if cue.kinds and any(kind.lower() in chunk.doc_type.lower() for kind in cue.kinds):
        score += KIND_WEIGHT
    return score


def matching_documents(hits: Sequence[SearchHit], cue: Cues, limit: int = 8) -> list[str]:
    """The documents among ``hits`` whose organisation the question names, best match first."""
    best: dict[str, float] = {}
    for h in hits:
        if _organisation_match(h.chunk, cue) >= 0.5:
            best[h.chunk.doc_id] = max(best.get(h.chunk.doc_id, 0.0), match(h.chunk, cue))
    return sorted(best, key=lambda d: -best[d])[:limit]


def rank(hits: Sequence[SearchHit], cue: Cues) -> list[SearchHit]:
    """``hits`` ordered by how well their document matches the question, then by score. A question
    asking for the most recent period counts the newest of the matching documents as its period."""
    newest = _newest(hits, cue) if cue.recent else None

    def fit(h: SearchHit) -> float:
        return match(h.chunk, cue) + (PERIOD_WEIGHT if newest and _period_end(h.chunk) == newest else 0.0)

    return sorted(hits, key=lambda h: (-round(fit(h), 3), -h.score, h.chunk.chunk_id))


def _newest(hits: Sequence[SearchHit], cue: Cues) -> tuple[int, int, int] | None:
    """The latest period end among the documents the question is about: the organisation it names
    (if it names one among the hits) and the kind it asks for (if any)."""
    pool = [h.chunk for h in hits]
    if any(_organisation_match(c, cue) >= 0.5 for c in pool):
        pool = [c for c in pool if _organisation_match(c, cue) >= 0.5]
    if cue.kinds:
        pool = [c for c in pool if any(kind.lower() in c.doc_type.lower() for kind in cue.kinds)] or pool
    return max((_period_end(c) for c in pool), default=None)


@lru_cache(maxsize=4096)
def _period_key(period: str, uri: str) -> tuple[int, int, int]:
    """When a period ends, as (year, month, day): its latest date, else its quarter, else its year
    (from the period, then the file name); (0, 0, 0) when nothing says."""
    dated = [(int(y), _MONTHS[m.lower()], int(d)) for m, d, y in _DATED.findall(period)]
    if dated:
        return max(dated)
    quarters = [(int(y), 3 * int(q), 31) for q, y in _QUARTER.findall(period)]
    if quarters:
        return max(quarters)
    years = _YEAR.findall(period) or _YEAR.findall(uri.rsplit("/", 1)[-1])
    return (max(int(y) for y in years), 12, 31) if years else (0, 0, 0)


def _period_end(chunk: Chunk) -> tuple[int, int, int]:
    return _period_key(chunk.period, chunk.source_uri)


def spanned(hits: Sequence[SearchHit], cue: Cues) -> list[SearchHit]:
    """The hits of the documents a question spanning periods is about: of one of its periods and,
    when it names an organisation found among the hits, of that organisation (another company's
    report of the same year is no evidence)."""
    named = any(_organisation_match(h.chunk, cue) >= 0.5 for h in hits)
    return [h for h in hits if cue.years & _years(h.chunk)
            and (not named or _organisation_match(h.chunk, cue) >= 0.5)]


def diversify(hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
    """The top ``k`` taken in turns from each document, in the order of their best hits."""
    per_doc: dict[str, list[SearchHit]] = {}
    for h in hits:
        per_doc.setdefault(h.chunk.doc_id, []).append(h)
    out: list[SearchHit] = []
    queues = list(per_doc.values())
    while len(out) < k and queues:
        for q in queues:
            if q and len(out) < k:
                out.append(q.pop(0))
        queues = [q for q in queues if q]
    return out
