"""Benchmarks behind ``docent bench``: retrieval quality (BEIR) and ingestion throughput.

Both build throwaway state in a temporary folder; the live index, manifest and embedding cache
are never touched (only the exported ONNX model folder is shared, to skip re-exporting it).
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from docent.evaluate import beir
from docent.index import open_index
from docent.settings import Settings
from docent.workspace import Workspace


def retrieval_benchmark(
    ws: Workspace,
    corpus: Path,
    queries: Path,
    qrels: Path,
    modes: list[str],
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> list[dict]:
    """Index ``corpus`` once in a throwaway index, then score each mode on the judged queries."""
    started = time.perf_counter()
    qs, judgements, textless = beir.load_judged(queries, qrels)  # bad files fail before the long part
    if textless:
        log(f"{textless} judged queries have no text in {queries}: left out, as BEIR does")
    docs = beir.load_corpus(corpus)
    if on_start:
        on_start(len(docs))
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-"))
    index = open_index(ws.settings, ws.embedder.dim, name=f"Bench_{uuid.uuid4().hex[:12]}", data_dir=tmp)
    try:
        beir.build_index(docs, ws.settings, index, ws.embedder, on_progress)
        vectors = beir.embed_queries(qs, ws.embedder)
        alpha = ws.settings.retrieval.alpha
        results = [beir.evaluate_mode(qs, judgements, index, vectors, mode, alpha) for mode in modes]
    finally:
        index.drop()
        index.close()
        shutil.rmtree(tmp, ignore_errors=True)
    total = round(time.perf_counter() - started, 2)
    return [{**r, "seconds": total} for r in results]


def _peak_rss_mib() -> float:
    """Peak resident memory of this process and its finished children (parser workers), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + kids) / 1024, 1)


def ingest_benchmark(settings: Settings, path: Path, log: Callable[[str], None] = print) -> dict:
    """End-to-end ``ingest`` throughput vs. raw ``SentenceTransformer.encode`` of the same chunks."""
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-ingest-"))
    throwaway = settings.model_copy(
        update={
            "data_dir": tmp,
            "state": settings.state.model_copy(update={"url": None}),
            "cache": settings.cache.model_copy(update={"redis_url": None}),
            "index": settings.index.model_copy(update={"backend": "lancedb"}),
        }
    )
    ws = Workspace(throwaway, models_dir=settings.data_dir / "models")
    try:
        model = ws.embedder.model  # loaded (and exported) before the clock starts
        log(f"first ingest of {path} ({settings.embedding.backend} backend)…")
        first = ws.ingest(str(path))
        docs = len(first.new)
        texts = ws.index.to_arrow().column("text").to_pylist()
        log(f"raw encode of the same {len(texts)} chunk texts…")
        t0 = time.perf_counter()
        model.encode(texts, batch_size=settings.embedding.batch_size, normalize_embeddings=True)
        raw = time.perf_counter() - t0
        log("no-op re-run…")
        again = ws.ingest(str(path))
    finally:
        ws.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "backend": settings.embedding.backend,
        "documents": docs,
        "chunks": first.chunks,
        "chunks_embedded": first.embedded,
        "quarantined": len(first.quarantined),
        "ingest_seconds": round(first.seconds, 2),
        "ingest_docs_per_s": round(docs / first.seconds, 2),
        "raw_encode_seconds": round(raw, 2),
        "raw_encode_docs_per_s": round(docs / raw, 2),
        "throughput_ratio": round(raw / first.seconds, 3),
        "noop_seconds": round(again.seconds, 2),
        "noop_ratio": round(again.seconds / first.seconds, 4),
        "noop_parsed_or_embedded": len(again.new) + len(again.updated) + again.embedded,
        "peak_rss_mib": _peak_rss_mib(),
    }
