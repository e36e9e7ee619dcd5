"""Structure-aware chunking, sized in the embedding model's own word pieces.

Elements are packed in reading order into chunks of at most ``max_tokens`` word pieces; a new
section (a title) starts a new chunk once the current one holds a quarter of the budget, so
chunks rarely straddle headings. Tables stay whole when they fit. Text longer than the budget is
split at sentence ends, and a sentence longer than the budget at word-piece boundaries; each
split carries ``overlap_tokens`` of the previous text so no fact is cut in half. Because sizes
are counted with the model's tokenizer, the model never silently truncates a chunk.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tokenizers import Tokenizer

from docent.index.base import Chunk
from docent.ingest.identity import DocumentIdentity
from docent.ingest.parse import Element
from docent.ingest.table import render, row_lines

NAMESPACE = uuid.UUID("6f1c1c52-3f0e-4a39-9d3c-5a0c2b1d9e77")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)|\n+")
_ROW_END = re.compile(r"\n")


def _spans(text: str, separator: re.Pattern) -> list[tuple[int, int]]:
    """(start, end) of the non-blank parts between separators."""
    bounds, start = [], 0
    for m in separator.finditer(text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


def doc_id_for(source_uri: str) -> str:
    """Deterministic document id from the normalised source URI."""
    return str(uuid.uuid5(NAMESPACE, source_uri))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id_for(doc_id: str, position: int, text_hash: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{doc_id}:{position}:{text_hash}"))


class TokenCounter:
    """Counts and splits text in the embedding model's word pieces (fast Rust tokenizer)."""

    def __init__(self, tokenizer_file: Path):
        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(starts) for starts in self.starts(texts)]

    def starts(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's word-piece start offsets: counts for any span of it, without re-tokenizing."""
        return [[a for a, _ in e.offsets] for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def split(self, text: str, max_tokens: int, overlap: int) -> list[str]:
        """Cut one over-long piece at word-piece boundaries, windows overlapping by ``overlap``."""
        enc = self._tok.encode(text, add_special_tokens=False)
        offsets, words = enc.offsets, enc.word_ids
        # Windows start on a word's first piece, so re-tokenizing a window gives the same pieces.
        starts = {i for i in range(len(words)) if i == 0 or words[i] != words[i - 1]}
        pieces, start, step = [], 0, max(1, max_tokens - overlap)
        while start < len(offsets):
            end = min(start + max_tokens, len(offsets))
            pieces.append(text[offsets[start][0] : offsets[end - 1][1]])
            if end == len(offsets):
                break
            nxt = start + step
            while nxt < end and nxt not in starts:
                nxt += 1
            start = nxt if nxt < end else end
        return pieces


@lru_cache(maxsize=4)
def token_counter(tokenizer_file: str) -> TokenCounter:
    """One tokenizer per process."""
    return TokenCounter(Path(tokenizer_file))


@dataclass
class _Piece:
    text: str
    tokens: int
    category: str
    page: int | None
    section: tuple[str, ...]


def _pieces(
    elements: Sequence[Element], counter: TokenCounter, max_tokens: int, overlap: int, heading_cost: dict
) -> list[_Piece]:
    """Elements as pieces that fit the budget left beside their heading: sentences, then windows."""
    offsets = counter.starts([e.text for e in elements])
    out: list[_Piece] = []
    for el, starts in zip(elements, offsets):
        limit = max_tokens if el.category == "Title" else max(16, max_tokens - heading_cost[el.section])
        if len(starts) <= limit:
            out.append(_Piece(el.text, len(starts), el.category, el.page, el.section))
            continue
        if el.table is not None and el.table.rows:
            out += _table_pieces(el, counter, limit, overlap)
            continue
        # Sentences (rows of a table without structure) sized from the element's own tokenization:
        # splits fall on whitespace, where word pieces never straddle, so the counts are exact.
        spans = _spans(el.text, _ROW_END if el.category == "Table" else _SENTENCE_END)
        parts = [el.text[a:b] for a, b in spans]
        sizes = [bisect_left(starts, b) - bisect_left(starts, a) for a, b in spans]
        for part, part_size in zip(parts, sizes):
            windows = [part] if part_size <= limit else counter.split(part, limit, overlap)
            for w, n in zip(windows, counter.count(windows) if len(windows) > 1 else [part_size]):
                out.append(_Piece(w, n, el.category, el.page, el.section))
    return out


def _table_pieces(el: Element, counter: TokenCounter, limit: int, overlap: int) -> list[_Piece]:
    """A table too long for one chunk, split by rows; every piece repeats the caption and the header
    row, so each value keeps its column labels. A row too long on its own is cut in windows."""
    table = el.table
    lines = row_lines(table)
    head = render(table, rows=())
    head_cost, *sizes = counter.count([head, *lines])
    room = limit - head_cost - 1
    if room < 16:  # a header longer than the chunk: the rows alone, in windows
        head, head_cost, room = "", 0, limit
    out: list[_Piece] = []
    group: list[tuple[str, ...]] = []
    used = 0

    def flush() -> None:
        if group:
            text = render(table, rows=group) if head else "\n".join(row_lines(table, group))
            out.append(_Piece(text, head_cost + used + len(group), "Table", el.page, el.section))

    for row, line, size in zip(table.rows, lines, sizes):
        if size > room:  # one huge row: its own pieces, each behind the header
            flush()
            group, used = [], 0
            for window in counter.split(line, room, overlap):
                text = f"{head}\n{window}" if head else window
                out.append(_Piece(text, head_cost + room + 1, "Table", el.page, el.section))
            continue
        if group and used + size + len(group) > room:
            flush()
            group, used = [], 0
        group.append(row)
        used += size
    flush()
    return out


def _heading_costs(elements: Sequence[Element], counter: TokenCounter) -> dict[tuple[str, ...], int]:
    """Word pieces of each section's own heading (plus its newline), which every chunk repeats."""
    sections = list(dict.fromkeys(e.section for e in elements))
    named = [s for s in sections if s]
    costs = dict(zip(named, (n + 1 for n in counter.count([s[-1] for s in named]))))
    return {s: costs.get(s, 0) for s in sections}


def chunk_elements(
    elements: Sequence[Element],
    *,
    doc_id: str,
    source_uri: str,
    counter: TokenCounter,
    max_tokens: int,
    overlap_tokens: int,
    fingerprint: str = "",
    identity: DocumentIdentity | None = None,
) -> list[Chunk]:
    """Pack a document's elements into citable chunks with deterministic ids.

    A chunk that does not begin with its section's title starts with that title on a line of its
    own, so a passage from the middle of a section still says what it is about (for the reader,
    BM25 and the embedding alike); the budget counts it. With an ``identity``, every chunk starts
    with the document's header line (which document, whose, what period), also counted.
    """
    header = identity.header() if identity else ""
    if header:
        max_tokens = max(16, max_tokens - counter.count([header])[0] - 1)
        overlap_tokens = min(overlap_tokens, max_tokens // 2)
    costs = _heading_costs(elements, counter)
    pieces = _pieces(elements, counter, max_tokens, overlap_tokens, costs)
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    used = 0

    def opening(first: _Piece) -> int:
        return 0 if first.category == "Title" else costs[first.section]

    for piece in pieces:
        # +1 per join: the newline between pieces is one more word piece at most.
        fits = used + piece.tokens + len(current) <= max_tokens
        new_section = piece.category == "Title" and used >= max_tokens // 4
        if current and (not fits or new_section):
            groups.append(current)
            carry = _overlap_tail(current, overlap_tokens) if not new_section and piece.category != "Table" else []
            if carry and opening(carry[0]) + sum(p.tokens for p in carry) + piece.tokens + len(carry) > max_tokens:
                carry = []
            current = list(carry)
            used = opening(carry[0]) + sum(p.tokens for p in carry) if carry else 0
        if not current:
            used = opening(piece)
        current.append(piece)
        used += piece.tokens
    if current:
        groups.append(current)

    chunks = []
    for position, group in enumerate(groups):
        lead = group[0]
        heading = [lead.section[-1]] if opening(lead) and lead.section[-1] != lead.text else []
        text = "\n".join(([header] if header else []) + heading + [p.text for p in group])
        body = next((p for p in group if p.category != "Title"), lead)
        h = content_hash(text)
        chunks.append(
            Chunk(
                chunk_id=chunk_id_for(doc_id, position, h),
                doc_id=doc_id,
                position=position,
                text=text,
                content_hash=h,
                source_uri=source_uri,
                page=lead.page,
                section=" > ".join(body.section),
                category=body.category,
                fingerprint=fingerprint,
                **(identity.metadata() if identity else {}),
            )
        )
    return chunks


def _overlap_tail(group: list[_Piece], overlap_tokens: int) -> list[_Piece]:
    """The trailing pieces of a chunk, up to the overlap budget, repeated at the next chunk's start."""
    tail: list[_Piece] = []
    total = 0
    for piece in reversed(group):
        if piece.category in ("Title", "Table") or total + piece.tokens > overlap_tokens:
            break
        tail.insert(0, piece)
        total += piece.tokens
    return tail
