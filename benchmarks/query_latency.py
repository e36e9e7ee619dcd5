"""Hybrid search latency at 100,000 chunks, with and without the query embedding.

The corpus is grown synthetically from SciFact: every real chunk is repeated with a short
variant tag and a slightly perturbed (re-normalised) vector, so BM25 statistics and vector
neighbourhoods stay realistic while embedding cost stays at one pass over the real texts.

    python benchmarks/query_latency.py --data ../shared/data/scifact-dev [--chunks 100000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from docent.evaluate import beir
from docent.index import open_index
from docent.index.base import Chunk
from docent.ingest.chunk import chunk_id_for, content_hash
from docent.settings import load_settings
from docent.workspace import Workspace


def grow(chunks: list[Chunk], vectors: np.ndarray, target: int, rng: np.random.Generator):
    """Yield (chunks, vectors) batches of synthetic variants until ``target`` rows exist."""
    made, copy = len(chunks), 0
    while made < target:
        copy += 1
        n = min(len(chunks), target - made)
        noise = rng.normal(scale=0.02, size=(n, vectors.shape[1])).astype(np.float32)
        vs = vectors[:n] + noise
        vs /= np.linalg.norm(vs, axis=1, keepdims=True)
        out = []
        for c in chunks[:n]:
            text = f"{c.text} (variant {copy})"
            h = content_hash(text)
            doc = f"{c.doc_id}-v{copy}"
            out.append(Chunk(chunk_id_for(doc, c.position, h), doc, c.position, text, h, f"synthetic:{doc}"))
        yield out, vs
        made += n


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms   mean {ms.mean():6.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/scifact-dev"))
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()

    settings = load_settings()
    ws = Workspace(settings)  # the embedding cache in the data directory makes re-runs quick
    tmp = Path(tempfile.mkdtemp(prefix="docent-latency-"))
    try:
        index = open_index(settings, ws.embedder.dim, name="latency", data_dir=tmp)
        docs = beir.load_corpus(args.data / "corpus.jsonl")
        base = beir.build_index(docs, settings, index, ws.embedder)
        real = index.to_arrow()
        chunks = [Chunk(**{k: real[k][i].as_py() for k in Chunk.__dataclass_fields__}) for i in range(real.num_rows)]
        vectors = np.stack(real["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for batch, vs in grow(chunks, vectors, args.chunks, rng):
            index.upsert(batch, vs)
        index.refresh()
        print(f"{index.count()} chunks ({base} real), grown and indexed in {time.perf_counter() - t0:.1f} s")

        qs = list(beir.load_queries(args.data / "queries.jsonl").values())[: args.queries]
        qv = ws.embedder.encode(qs)
        r, k, cand = settings.retrieval, settings.retrieval.k, settings.retrieval.candidates
        for q, v in zip(qs[:20], qv[:20]):  # warm-up
            index.search_hybrid(q, v, k, r.alpha, candidates=cand)
        without, with_embed = [], []
        for q, v in zip(qs, qv):
            t = time.perf_counter()
            index.search_hybrid(q, v, k, r.alpha, candidates=cand)
            without.append(time.perf_counter() - t)
        for q in qs:
            t = time.perf_counter()
            index.search_hybrid(q, ws.embedder.embed_query(q), k, r.alpha, candidates=cand)
            with_embed.append(time.perf_counter() - t)
        print(f"hybrid k={k}, {cand} candidates per side, {len(qs)} queries, backend {settings.embedding.backend}")
        print(f"  without query embedding: {percentiles(without)}")
        print(f"  with query embedding:    {percentiles(with_embed)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
