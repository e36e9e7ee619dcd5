"""Where evidence sits in a report: two model-free priors on hybrid candidates.

Neither the embedding nor BM25 knows a chunk's place in its document, yet a person looking for a
figure in a long report turns to the table whose caption names it. So, on top of the fused score:

- **heading**: the share of a chunk's heading words (its section title, or the caption that heads
  a table) that the question has, times ``retrieval.heading_weight``. "… based on the cash flow
  statement" lifts the chunks under "Consolidated Statements of Cash Flows" over a note that merely
  mentions cash; the document's own name (organisation) is left out of the heading, since every
  heading of that document would share it.
- **table**: ``retrieval.table_weight`` for a table chunk when the question asks for a figure (how
  much or how many, an amount, a total, a rate, a share, a percentage, a currency or a unit of
  money). A prose question ("who are the main customers?") gets no table prior.

Both are in units of the fused z-score, so they reorder near-ties within a document without
letting a weak chunk jump a clearly better one; dense-only and BM25-only scores, on other scales,
are left as they are. Nothing here names a company, a file or a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from docent.index.base import SearchHit
from docent.lexical import content_words, stems

FIGURE_WORDS = frozenset(
    "amount total number rate ratio percent percentage share margin growth change increase decrease average sum "
    "value cost price usd eur gbp jpy dollar euro million billion thousand".split())
_FIGURE_MARKS = re.compile(r"[%$€£¥]|\bhow (?:much|many)\b", re.I)


def asks_for_figure(question: str) -> bool:
    """Whether the question wants a number: a quantity word, a currency, "%" or "how much/many"."""
    return bool(_FIGURE_MARKS.search(question)) or bool(FIGURE_WORDS & content_words(question))


@lru_cache(maxsize=8192)
def heading_words(section: str, organisation: str) -> frozenset[str]:
    """A heading's content words (stems), without those of the organisation the document belongs to."""
    return frozenset(stems(section) - stems(organisation))


def heading_match(hit: SearchHit, question_words: set[str]) -> float:
    """Share (0-1) of the hit's heading words (stems) that the question has; 0 without a heading."""
    words = heading_words(hit.chunk.section, hit.chunk.organisation)
    return len(words & question_words) / len(words) if words else 0.0


def weigh(hits: Sequence[SearchHit], question: str, heading_weight: float, table_weight: float) -> list[SearchHit]:
    """``hits`` (fused scores) with both priors added, best first."""
    if not heading_weight and not table_weight:
        return list(hits)
    words = stems(question)
    table = table_weight if table_weight and asks_for_figure(question) else 0.0
    out = []
    for h in hits:
        bonus = heading_weight * heading_match(h, words) + (table if h.chunk.category == "Table" else 0.0)
        out.append(replace(h, score=h.score + bonus) if bonus else h)
    return sorted(out, key=lambda h: (-h.score, h.chunk.chunk_id))
