"""Golden sets as an evaluation reads them: a JSONL file (shipped in ``evals/``) or a reviewed set in the store.

Each item has a question and a reference answer, and names its evidence either as chunk ids (what
reviewers' approvals record: exact, but tied to one chunking) or as reference context text (what a
hand-written or public set gives: it survives re-chunking). Text evidence is matched to the chunks
of the index under evaluation by word overlap, so both kinds give retrieval metrics.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from docent.index.base import VectorIndex

MATCH_SHARE = 0.5  # share of the smaller text's word trigrams found in the other for a chunk to be evidence
WINDOW_WORDS = 40  # reference text is looked up in the index a window at a time


class GoldenSetError(ValueError):
    pass


@dataclass(frozen=True)
class GoldenCase:
    id: str
    question: str
    reference_answer: str
    reference_chunk_ids: list[str] = field(default_factory=list)
    reference_contexts: list[str] = field(default_factory=list)
    kind: str = "positive"


def load(spec: str, state_url: str) -> tuple[list[GoldenCase], str]:
    """The items of ``spec`` (a JSONL path, or the name of a reviewed set) and a version that identifies them."""
    path = Path(spec)
    if path.suffix in (".jsonl", ".json") or path.exists():
        if not path.is_file():
            raise GoldenSetError(f"golden set {spec}: no such file (give a JSONL path or the name of a reviewed set)")
        return _read_jsonl(path), hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    from docent.review.golden import GoldenSets

    sets = GoldenSets(state_url)
    items = [GoldenCase(str(i.id), i.question, i.reference_answer, list(i.reference_chunk_ids), kind=i.kind)
             for i in sets.items(spec)]
    if not items:
        raise GoldenSetError(f"golden set {spec!r} is empty or unknown: approve answers in the review queue, "
                             "or give a JSONL file (see evals/README.md)")
    return items, f"v{sets.version(spec)}"


def _read_jsonl(path: Path) -> list[GoldenCase]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            contexts = row.get("reference_contexts") or []
            items.append(GoldenCase(
                id=str(row.get("id", n)), question=row["question"].strip(), reference_answer=row.get("reference_answer", ""),
                reference_chunk_ids=list(row.get("reference_chunk_ids") or []),
                reference_contexts=[contexts] if isinstance(contexts, str) else list(contexts), kind=row.get("kind", "positive"),
            ))
        except (json.JSONDecodeError, KeyError, AttributeError, TypeError) as exc:
            raise GoldenSetError(f"{path}:{n}: not a golden item ({exc!r}); each line needs at least a \"question\"") from None
    if not items:
        raise GoldenSetError(f"{path}: no items")
    return items


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def trigrams(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + 3]) for i in range(max(1, len(w) - 2))}


def overlaps(a: str, b: str, share: float = MATCH_SHARE) -> bool:
    """Whether most of the shorter text's word trigrams occur in the longer (parsers differ in spacing and
    hyphenation, so exact containment would miss)."""
    ta, tb = trigrams(a), trigrams(b)
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= share


def evidence_chunks(index: VectorIndex, contexts: list[str]) -> list[str]:
    """Ids of the indexed chunks that hold the reference ``contexts``, found by BM25 then checked by overlap."""
    found: dict[str, None] = {}
    for context in contexts:
        w = words(context)
        for start in range(0, max(1, len(w)), WINDOW_WORDS):
            window = " ".join(w[start : start + WINDOW_WORDS])
            for hit in index.search_bm25(window, 5) if window else []:
                if hit.chunk.chunk_id not in found and overlaps(hit.chunk.text, context):
                    found[hit.chunk.chunk_id] = None
    return list(found)
