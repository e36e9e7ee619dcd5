"""Answers from real reports: Docent against LlamaIndex's plain defaults on FinanceBench filings.

    python benchmarks/reports.py --data ../shared/data/financebench-dev [--no-peer] [--limit-docs N] [--dump F]
    python benchmarks/reports.py --replay F    # answer F's questions again from its contexts

Both sides index the same PDFs in the same run (Docent into a throwaway data directory, LlamaIndex
in a virtual environment this script creates once under ``<data_dir>/bench/``: SimpleDirectoryReader,
SentenceSplitter 1024/200, the same MiniLM, top 10, vector and BM25 fused). Per mode it prints:

- evidence-page hit@10: a top-10 chunk from the evidence document on an evidence page;
- figure recall@10: the share of the gold answer's numbers (3+ digits, not years) found in the
  top-10 chunks' text, after removing "," and "$";
- for Docent's chat (the live path, local/extractive model): the same figure recall over the
  context given to the model, and in its answers;
- ingest pages/s and peak RSS, and the ratios Docent / LlamaIndex.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from docent.access import service_account
from docent.chat.events import FinalEvent, SourcesEvent
from docent.ingest.sources import display_name
from docent.settings import load_settings
from docent.workspace import Workspace

BENCH = service_account("reports-benchmark")

HERE = Path(__file__).resolve().parent
MODES = ("dense", "bm25", "hybrid")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def gold_figures(answer: str) -> set[str]:
    """The gold answer's numbers of 3+ digits that are not years, without "," and "$"."""
    text = answer.replace(",", "").replace("$", "")
    out = set()
    for n in _NUMBER.findall(text):
        digits = n.replace(".", "")
        if len(digits) >= 3 and not (len(n) == 4 and n.isdigit() and 1900 <= int(n) <= 2100):
            out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out


def figure_recall(figures: set[str], texts: list[str]) -> float | None:
    if not figures:
        return None
    haystack = " ".join(texts).replace(",", "").replace("$", "")
    return sum(f in haystack for f in figures) / len(figures)


def page_hit(question: dict, hits: list[tuple[str, int | None]]) -> float:
    """1 when a hit (document name, zero-based page) is on one of the question's evidence pages."""
    gold = {(e["doc_name"], e["evidence_page_num"]) for e in question["evidence"]}
    return float(any(h in gold for h in hits))


def mean(values: list[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else float("nan")


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def pdf_pages(folder: Path) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(p).pages) for p in sorted(folder.glob("*.pdf")))


def docent_side(pdfs: Path, questions: list[dict], work: Path, k: int, keep: bool = False) -> dict:
    """Ingest into a fresh data directory (or the last run's, with ``keep``), then retrieve per
    mode and answer through the chat path."""
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    settings = load_settings(data_dir=work, cache={"answers": False})  # answers from the model, never the cache
    ws = Workspace(settings)
    began = time.perf_counter()
    report = ws.ingest(str(pdfs))
    seconds = time.perf_counter() - began
    print(f"docent: {len(report.new)} documents, {report.chunks} chunks in {seconds:.0f} s; "
          f"quarantined {report.quarantined or 'none'}", file=sys.stderr)
    out: dict = {"ingest_seconds": seconds, "peak_rss_mb": peak_rss_mb(), "results": {}}
    for q in questions:
        out["results"][q["financebench_id"]] = {
            mode: [(Path(display_name(h.chunk.source_uri)).stem, None if h.chunk.page is None else h.chunk.page - 1,
                    h.chunk.text) for h in ws.retriever.search(q["question"], k=k, mode=mode)]
            for mode in MODES}
    chat = ws.chat
    for i, q in enumerate(questions, 1):
        context, answer = asyncio.run(_ask(chat, q["question"]))
        out["results"][q["financebench_id"]]["context"] = context
        out["results"][q["financebench_id"]]["answer"] = answer
        if i % 20 == 0:
            print(f"docent: {i}/{len(questions)} questions answered", file=sys.stderr)
    chat.close()
    ws.close()
    return out


async def _ask(chat, question: str) -> tuple[list[str], str]:
    message_id = chat.start(BENCH, question)
    context, answer = [], ""
    async for event in chat.stream(BENCH, message_id):
        if isinstance(event, SourcesEvent):
            context = [s.text for s in event.sources]
        elif isinstance(event, FinalEvent):
            answer = event.text
    return context, answer


def replay(dump: Path, work: Path) -> dict[str, float]:
    """Answer a dump's questions again from the contexts it recorded, with the local model as it is
    now: tuning the answerer without retrieving again."""
    from docent.generate.local import ExtractiveLLM
    from docent.generate.prompts import Source, build_messages

    ws = Workspace(load_settings(data_dir=work))
    llm = ExtractiveLLM(lambda texts: ws.embedder.embed(texts)[0])
    rows = [json.loads(line) for line in dump.read_text().splitlines() if line.strip()]
    context, answers = [], []
    for row in rows:
        sources = [Source(i, "", "", "", text, 0.0) for i, text in enumerate(row["context"], 1)]
        answer = llm.answer(build_messages(row["question"], sources))
        figures = gold_figures(row["gold"])
        context.append(figure_recall(figures, row["context"]))
        answers.append(figure_recall(figures, [answer]))
    ws.close()
    return {"figure recall, context": mean(context), "figure recall, answer": mean(answers)}


def peer_side(pdfs: Path, questions_file: Path, work: Path, k: int, reuse: bool = False) -> dict:
    sys.path.insert(0, str(HERE))
    from peer_venv import ensure_venv

    out = work / "llamaindex-results.json"
    if reuse and out.exists():
        print(f"llamaindex: results of an earlier run ({out}); its speed is not from this run", file=sys.stderr)
    else:
        python = ensure_venv(work / "llamaindex-venv", HERE / "llamaindex_requirements.txt")
        subprocess.run([str(python), str(HERE / "llamaindex_baseline.py"), "--pdfs", str(pdfs), "--questions",
                        str(questions_file), "--out", str(out), "--k", str(k)], check=True)
    raw = json.loads(out.read_text())
    raw["results"] = {qid: {m: [(h["doc_name"], h["page"], h["text"]) for h in hits] for m, hits in modes.items()}
                      for qid, modes in raw["results"].items()}
    return raw


def scores(questions: list[dict], results: dict, mode: str) -> dict[str, float]:
    hits = [results[q["financebench_id"]][mode] for q in questions]
    return {
        "evidence-page hit@10": mean([page_hit(q, [(d, p) for d, p, _ in h]) for q, h in zip(questions, hits)]),
        "figure recall@10": mean([figure_recall(gold_figures(q["answer"]), [t for _, _, t in h])
                                  for q, h in zip(questions, hits)]),
    }


def table(rows: dict[str, dict[str, float]]) -> str:
    """Rows of figures as aligned text; a blank where a row has no such column."""
    columns = list(dict.fromkeys(c for r in rows.values() for c in r))
    width = max(len(name) for name in rows) + 2
    lines = [f"{'':<{width}}" + "".join(f"{c:>26}" for c in columns)]
    for name, r in rows.items():
        lines.append(f"{name:<{width}}" + "".join(f"{r[c]:>26.3f}" if c in r else f"{'':>26}" for c in columns))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/financebench-dev"))
    ap.add_argument("--work", type=Path, help="where indexes and the peer's environment live (default <data_dir>/bench)")
    ap.add_argument("--limit-docs", type=int, help="only the first N PDFs (and their questions)")
    ap.add_argument("--no-peer", action="store_true", help="Docent alone")
    ap.add_argument("--keep-index", action="store_true",
                    help="reuse Docent's index of the last run (for tuning retrieval; ingest speed is then not measured)")
    ap.add_argument("--reuse-peer", action="store_true",
                    help="reuse LlamaIndex's results of the last run (its speed is then not from this run)")
    ap.add_argument("--dump", type=Path, help="write each question's hits, context and answer here (JSON lines)")
    ap.add_argument("--replay", type=Path, help="only answer a --dump's questions again from its contexts (local model)")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()

    work = (args.work or load_settings().data_dir / "bench").resolve()
    if args.replay:
        print(table({"docent chat (replayed)": replay(args.replay, work / "docent")}))
        return
    pdfs = args.data.resolve() / "pdfs"
    questions = [json.loads(line) for line in (args.data / "questions.jsonl").read_text().splitlines() if line.strip()]
    if args.limit_docs:
        subset = work / "pdfs-subset"
        shutil.rmtree(subset, ignore_errors=True)
        subset.mkdir(parents=True)
        for p in sorted(pdfs.glob("*.pdf"))[: args.limit_docs]:
            (subset / p.name).symlink_to(p)
        pdfs = subset
        names = {p.stem for p in pdfs.glob("*.pdf")}
        questions = [q for q in questions if q["doc_name"] in names]
    questions_file = work / "questions.jsonl"
    questions_file.parent.mkdir(parents=True, exist_ok=True)
    questions_file.write_text("".join(json.dumps(q) + "\n" for q in questions))
    pages = pdf_pages(pdfs)
    print(f"{len(questions)} questions over {len(list(pdfs.glob('*.pdf')))} PDFs, {pages} pages", file=sys.stderr)

    ours = docent_side(pdfs, questions, work / "docent", args.k, keep=args.keep_index)
    if args.dump:
        args.dump.write_text("".join(json.dumps({"question": q["question"], "gold": q["answer"], "doc_name": q["doc_name"],
                                                 **ours["results"][q["financebench_id"]]}) + "\n" for q in questions))
    rows: dict[str, dict[str, float]] = {}
    for mode in MODES:
        rows[f"docent {mode}"] = scores(questions, ours["results"], mode)
    figures = [gold_figures(q["answer"]) for q in questions]
    rows["docent chat"] = {
        "figure recall, context": mean([figure_recall(f, ours["results"][q["financebench_id"]]["context"])
                                        for q, f in zip(questions, figures)]),
        "figure recall, answer": mean([figure_recall(f, [ours["results"][q["financebench_id"]]["answer"]])
                                       for q, f in zip(questions, figures)]),
    }
    speed = {} if args.keep_index else {"docent": {"pages/s": pages / ours["ingest_seconds"],
                                                   "peak RSS MiB": ours["peak_rss_mb"]}}
    if not args.no_peer:
        peer = peer_side(pdfs, questions_file, work, args.k, reuse=args.reuse_peer)
        for mode in ("vector", "bm25", "fusion"):
            rows[f"llamaindex {mode}"] = scores(questions, peer["results"], mode)
        speed["llamaindex"] = {"pages/s": pages / peer["ingest_seconds"], "peak RSS MiB": peer["peak_rss_mb"]}
        base, best = rows["llamaindex fusion"], rows["docent hybrid"]
        rows["ratio hybrid / fusion"] = {m: best[m] / base[m] if base[m] else float("inf") for m in base}
        if "docent" in speed:
            speed["ratio"] = {"pages/s": speed["docent"]["pages/s"] / speed["llamaindex"]["pages/s"]}
    print(table(rows))
    print(table(speed) if "docent" in speed else "ingest speed: not measured (--keep-index)")


if __name__ == "__main__":
    main()
