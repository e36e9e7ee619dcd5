"""Context for the answer, small to big: search on precise chunks, give the model their surroundings.

A 250-piece chunk is the right size to *find* a figure and the wrong size to *read* it: the rest
of its table, or the sentence before it, is in the neighbouring chunks. Each hit keeps its place
and its number; its text grows by the chunks next to it in the same section (a table's other
pieces first), best hits first, while the whole context fits the budget (``chat.context_tokens``,
counted in the model's tokens by litellm's counter). Neighbours that are
hits themselves are not repeated. The widened text is what the model reads and what the
retrieval record keeps, so evaluation scores what the model actually saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import litellm

from docent.generate.prompts import Source
from docent.index.base import Chunk, VectorIndex
from docent.ingest.identity import HEADER_PREFIX, strip_header

NEIGHBOURS = 1  # chunks on each side of a prose hit
TABLE_NEIGHBOURS = 3  # pieces on each side of a table hit: a split table is read whole where it fits


Count = Callable[[str], int]


def token_counter(model: str) -> Count:
    """The size of a text in ``model``'s tokens (litellm's tokenizer for it; cl100k when unknown)."""
    return lambda text: litellm.token_counter(model=model, text=text)


def fit(sources: list[Source], budget: int, count: Count) -> list[Source]:
    """The best sources whose text fits in ``budget`` (the first one, cut short, always does)."""
    kept, used = [], 0
    for s in sources:
        size = count(s.text)
        if used + size > budget:
            if not kept:
                kept.append(replace(s, text=s.text[: len(s.text) * budget // size]))
            break
        kept.append(s)
        used += size
    return kept


def _body(chunk: Chunk) -> str:
    """A neighbour's text without the lines the hit already shows (document header, section heading)."""
    text = strip_header(chunk.text)
    heading = chunk.section.rsplit(" > ", 1)[-1] if chunk.section else ""
    if heading and text.startswith(heading + "\n"):
        text = text[len(heading) + 1 :]
    return text


def widen(sources: list[Source], index: VectorIndex, budget: int, count: Count) -> list[Source]:
    """``sources`` (already fitted to ``budget``) with their neighbours' text, within ``budget``."""
    if not sources:
        return sources
    taken = {s.chunk_id for s in sources}
    neighbours = _neighbours(sources, index)
    used = sum(count(s.text) for s in sources)
    out = []
    for s in sources:
        sides: tuple[list[str], list[str]] = ([], [])
        for side, chunks in zip(sides, neighbours.get(s.chunk_id, ([], []))):
            for c in chunks:  # nearest first; a gap (a hit, or no room) ends the side
                body = _body(c)
                size = count(body)
                if c.chunk_id in taken or used + size > budget:
                    break
                used += size
                taken.add(c.chunk_id)
                side.append(body)
        before, after = sides
        out.append(replace(s, text=_joined(s.text, before[::-1], after)) if before or after else s)
    return out


def _joined(text: str, before: list[str], after: list[str]) -> str:
    """The hit's document header stays on top; the neighbours go around the rest of its text."""
    first, _, rest = text.partition("\n")
    lead, body = ([first], rest) if first.startswith(HEADER_PREFIX) and rest else ([], text)
    return "\n".join([*lead, *before, body, *after])


def _neighbours(sources: list[Source], index: VectorIndex) -> dict[str, tuple[list[Chunk], list[Chunk]]]:
    """Per hit, the chunks before it (nearest first) and after it, in its section, from one fetch per document."""
    by_doc: dict[str, list[Source]] = {}
    for s in sources:
        by_doc.setdefault(s.doc_id, []).append(s)
    out: dict[str, tuple[list[Chunk], list[Chunk]]] = {}
    for doc_id, group in by_doc.items():
        own = {c.chunk_id: c for c in index.fetch({"doc_id": doc_id, "chunk_id": [s.chunk_id for s in group]}, len(group))}
        span = {p for c in own.values() for d in range(1, TABLE_NEIGHBOURS + 1) for p in (c.position - d, c.position + d)}
        near = {c.position: c for c in index.fetch({"doc_id": doc_id, "position": sorted(span)}, len(span))} if span else {}
        for s in group:
            hit = own.get(s.chunk_id)
            if hit is None:
                continue
            reach = TABLE_NEIGHBOURS if hit.category == "Table" else NEIGHBOURS
            sides = []
            for step in (-1, 1):
                side = []
                for d in range(1, reach + 1):
                    c = near.get(hit.position + step * d)
                    if c is None or c.section != hit.section or (d > NEIGHBOURS and c.category != "Table"):
                        break
                    side.append(c)
                sides.append(side)
            out[s.chunk_id] = (sides[0], sides[1])
    return out
