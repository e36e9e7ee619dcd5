"""Retrieval quality on a BEIR data set (default: SciFact train queries) in all three modes.

Builds one throwaway index through the product's chunk/embed/index code, then scores dense,
bm25 and hybrid, plus a sweep of the hybrid weight ``alpha`` (tune on train queries only), and
hybrid with the retriever's heading and table priors (``retrieval.heading_weight``, ``table_weight``).

    python benchmarks/retrieval.py --data ../shared/data/scifact-dev [--backend torch]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from docent.evaluate import beir
from docent.index import open_index
from docent.settings import load_settings
from docent.workspace import Workspace


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with corpus.jsonl, queries.jsonl, qrels/")
    ap.add_argument("--qrels", default="train.tsv")
    ap.add_argument("--backend", choices=["openvino", "torch", "onnx"], help="embedding backend (default: settings)")
    ap.add_argument("--alphas", default="0.3,0.4,0.5,0.6,0.7", help="hybrid weights to sweep")
    ap.add_argument("--candidates", default="500", help="chunks fetched per side, comma-separated to sweep")
    args = ap.parse_args()

    overrides = {"embedding": {"backend": args.backend}} if args.backend else {}
    settings = load_settings(**overrides)
    ws = Workspace(settings)
    docs = beir.load_corpus(args.data / "corpus.jsonl")
    queries, qrels, _ = beir.load_judged(args.data / "queries.jsonl", args.data / "qrels" / args.qrels)
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-"))
    try:
        index = open_index(settings, ws.embedder.dim, name="bench", data_dir=tmp)
        t0 = time.perf_counter()
        chunks = beir.build_index(docs, settings, index, ws.embedder)
        print(f"indexed {len(docs)} docs as {chunks} chunks in {time.perf_counter() - t0:.1f} s "
              f"(backend {settings.embedding.backend}, {settings.chunking.max_tokens}-token chunks)")
        vectors = beir.embed_queries(queries, ws.embedder)
        rows = [beir.evaluate_mode(queries, qrels, index, vectors, m, settings.retrieval.alpha) for m in ("dense", "bm25")]
        for cand in (int(c) for c in args.candidates.split(",")):
            for alpha in (float(a) for a in args.alphas.split(",")):
                row = beir.evaluate_mode(queries, qrels, index, vectors, "hybrid", alpha, cand)
                rows.append({**row, "mode": f"hybrid a={alpha:g} c={cand}"})
        row = beir.evaluate_mode(queries, qrels, index, vectors, "hybrid", settings.retrieval.alpha,
                                 int(args.candidates.split(",")[0]), weights=settings.retrieval)
        rows.append({**row, "mode": f"hybrid a={settings.retrieval.alpha:g} +priors"})  # as the retriever ranks
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'mode':<22}{'nDCG@10':>9}{'R@100':>9}{'MRR@10':>9}{'queries':>9}{'ms/query':>10}")
    for r in rows:
        ms = 1000 * r["seconds"] / r["queries"]
        print(f"{r['mode']:<22}{r['ndcg@10']:>9.4f}{r['recall@100']:>9.4f}{r['mrr@10']:>9.4f}{r['queries']:>9}{ms:>10.1f}")


if __name__ == "__main__":
    main()
