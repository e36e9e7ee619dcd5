"""Retrieval benchmarks on BEIR-format data, through the product's own chunk/embed/index code.

The index is throwaway (a temporary table or collection, never the live one). Documents are
chunked like any ingested file (title as the section heading); a document's score for a query is
its best chunk's score, so results are ranked per document as BEIR's qrels expect. Each side
fetches 500 chunks (not the interactive ``retrieval.candidates``): Recall@100 needs at least 100
distinct documents, and abstracts are split into about two chunks each.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docent import priors
from docent.embed import Embedder
from docent.evaluate.metrics import Qrels, Run, evaluate_run
from docent.index.base import VectorIndex
from docent.ingest.chunk import chunk_elements, token_counter
from docent.ingest.parse import Element
from docent.ingest.table import labels_only
from docent.settings import RetrievalSettings, Settings

BATCH_DOCS = 256


@dataclass(frozen=True)
class BeirDoc:
    doc_id: str
    title: str
    text: str


class BeirFormatError(ValueError):
    """A BEIR file that cannot be read as BEIR (the message names the file and line)."""


def _jsonl(path: Path, *required: str) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BeirFormatError(f"{path}:{n}: not a JSON line ({exc.msg})") from None
            missing = [key for key in required if not isinstance(row, dict) or key not in row]
            if missing:
                raise BeirFormatError(f"{path}:{n}: no {', '.join(map(repr, missing))} field (BEIR lines hold '_id' and 'text')")
            yield row


def load_corpus(path: Path) -> list[BeirDoc]:
    return [BeirDoc(str(d["_id"]), d.get("title") or "", d.get("text") or "") for d in _jsonl(path, "_id")]


def write_files(corpus: Path, folder: Path, limit: int | None = None) -> int:
    """The corpus as one text file per document (title, blank line, text): ingestion benchmarks."""
    docs = load_corpus(corpus)[:limit]
    for d in docs:
        (folder / f"{d.doc_id}.txt").write_text(f"{d.title}\n\n{d.text}\n", encoding="utf-8")
    return len(docs)


def load_queries(path: Path) -> dict[str, str]:
    return {str(q["_id"]): str(q["text"]) for q in _jsonl(path, "_id", "text")}


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as fh:
        rows = csv.reader(fh, delimiter="\t")
        for row in rows:
            if len(row) < 3 or row[0] == "query-id" or not row[2].lstrip("-").isdigit():
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    if not qrels:
        raise BeirFormatError(f"{path}: no judgements (BEIR qrels are tab-separated query-id, corpus-id, score)")
    return qrels


def load_judged(queries_path: Path, qrels_path: Path) -> tuple[dict[str, str], Qrels, int]:
    """The queries that have a text and a positive judgement, their qrels, and how many judged
    queries had no text (scored as BEIR does: left out, not counted as misses)."""
    queries, qrels = load_queries(queries_path), load_qrels(qrels_path)
    positive = [q for q, grades in qrels.items() if any(g > 0 for g in grades.values())]
    judged = {q: queries[q] for q in positive if q in queries}
    if not judged:
        raise BeirFormatError(
            f"none of the {len(positive)} positively judged queries of {qrels_path} is in {queries_path}: "
            "are they from the same data set?"
        )
    return judged, {q: qrels[q] for q in judged}, len(positive) - len(judged)


def build_index(
    corpus: list[BeirDoc],
    settings: Settings,
    index: VectorIndex,
    embedder: Embedder,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Chunk, embed and index the corpus; returns the number of chunks."""
    counter = token_counter(str(embedder.tokenizer_file))
    c = settings.chunking
    total = 0
    for i in range(0, len(corpus), BATCH_DOCS):
        chunks = []
        for doc in corpus[i : i + BATCH_DOCS]:
            heading = (doc.title,) if doc.title else ()
            elements = [Element(doc.title, "Title", None, heading)] if doc.title else []
            elements.append(Element(doc.text, "NarrativeText", None, heading))
            chunks += chunk_elements(
                [e for e in elements if e.text.strip()], doc_id=doc.doc_id, source_uri=f"beir:{doc.doc_id}",
                counter=counter, max_tokens=c.max_tokens, overlap_tokens=c.overlap_tokens,
            )
        vectors, _ = embedder.embed([labels_only(ch.text) for ch in chunks])
        index.upsert(chunks, vectors)
        total += len(chunks)
        if on_progress:
            on_progress(len(corpus[i : i + BATCH_DOCS]))
    index.refresh()
    return total


def run_queries(
    queries: dict[str, str],
    index: VectorIndex,
    query_vectors: dict[str, np.ndarray],
    mode: str,
    alpha: float,
    depth: int = 100,
    candidates: int = 500,
    weights: RetrievalSettings | None = None,
) -> Run:
    """Each query's documents, best first, ``depth`` deep (chunk hits collapsed to their document); hybrid hits
    get the heading and table priors of ``weights`` (as the product's retriever adds them) when it is given."""
    run: dict[str, list[str]] = {}
    for qid, text in queries.items():
        if mode == "dense":
            hits = index.search_dense(query_vectors[qid], candidates)
        elif mode == "bm25":
            hits = index.search_bm25(text, candidates)
        else:
            hits = index.search_hybrid(text, query_vectors[qid], candidates, alpha, candidates=candidates)
            if weights is not None:
                hits = priors.weigh(hits, text, weights.heading_weight, weights.table_weight)
        ranked = list(dict.fromkeys(h.chunk.doc_id for h in hits))
        run[qid] = ranked[:depth]
    return run


def evaluate_mode(
    queries: dict[str, str],
    qrels: Qrels,
    index: VectorIndex,
    query_vectors: dict[str, np.ndarray],
    mode: str,
    alpha: float,
    candidates: int = 500,
    weights: RetrievalSettings | None = None,
) -> dict:
    """Metrics for one mode, with the time the queries took."""
    judged = {q: t for q, t in queries.items() if q in qrels}
    started = time.perf_counter()
    run = run_queries(judged, index, query_vectors, mode, alpha, candidates=candidates, weights=weights)
    return {"mode": mode, **evaluate_run(run, qrels), "seconds": round(time.perf_counter() - started, 3)}


def embed_queries(queries: dict[str, str], embedder: Embedder) -> dict[str, np.ndarray]:
    ids = list(queries)
    return dict(zip(ids, embedder.encode([queries[q] for q in ids])))
