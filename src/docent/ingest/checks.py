"""Data checks between ingestion stages; each returns the problems it found (empty: passed).

The Dagster asset checks call these; they are plain functions so they are tested directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from docent.ingest.chunk import TokenCounter
from docent.ingest.pipeline import Prepared
from docent.ingest.sources import SourceFile
from docent.ingest.worker import WorkResult

MODEL_MAX_PIECES = 254  # MiniLM reads 256 word pieces, two of them the [CLS]/[SEP] markers
NORM_TOLERANCE = 1e-3
DESCRIPTIONS = {
    "parsed_text_not_empty": "Every parsed document has some text.",
    "chunk_tokens_within_limit": f"No chunk exceeds the model's {MODEL_MAX_PIECES} word pieces (it would be cut silently).",
    "chunk_ids_unique": "Chunk ids are unique within the batch.",
    "embedding_dimension_and_norm": "One finite unit vector of the model's dimension per chunk.",
    "index_matches_manifest": "Index entries per document equal the manifest's chunk counts.",
}


def empty_texts(parsed: Sequence[tuple[SourceFile, WorkResult]]) -> list[str]:
    """Parsed documents with no text at all (unchanged-bytes results carry no elements and pass)."""
    return [
        f.uri for f, r in parsed
        if r.elements is not None and not any(e.text.strip() for e in r.elements)
    ]


def oversized_chunks(batch: Sequence[Prepared], counter: TokenCounter, limit: int = MODEL_MAX_PIECES) -> list[str]:
    """Chunks the model would silently truncate."""
    chunks = [c for p in batch for c in p.chunks]
    return [c.chunk_id for c, n in zip(chunks, counter.count([c.text for c in chunks])) if n > limit]


def duplicate_chunk_ids(batch: Sequence[Prepared]) -> list[str]:
    counts = Counter(c.chunk_id for p in batch for c in p.chunks)
    return [cid for cid, n in counts.items() if n > 1]


def bad_vectors(vectors: np.ndarray, rows: int, dim: int) -> list[str]:
    """Wrong shape, non-finite values or norms away from 1."""
    if vectors.shape != (rows, dim):
        return [f"expected {rows} vectors of dimension {dim}, got shape {vectors.shape}"]
    if rows == 0:
        return []
    problems = []
    if not np.isfinite(vectors).all():
        problems.append(f"{int((~np.isfinite(vectors)).any(axis=1).sum())} vectors hold NaN or infinity")
    norms = np.linalg.norm(vectors, axis=1)
    off = np.abs(norms - 1.0) > NORM_TOLERANCE
    if off.any():
        problems.append(f"{int(off.sum())} vectors are not unit length (norms {norms.min():.4f}..{norms.max():.4f})")
    return problems
