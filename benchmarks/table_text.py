"""Which text form of a table retrieves best: the same FinanceBench tables written three ways.

    python benchmarks/table_text.py --data ../shared/data/financebench-dev

Every table of the filings that questions ask about is split into the same pieces (caption and
header repeated, ``--rows`` rows a piece), each piece prefixed with its document's identity line
as ingestion does, and written as

- ``rows``: the header row, then one line per row, cells joined by " | " (Docent's form);
- ``cells``: one line per row, each value carrying its column header ("label | h1: v1 | h2: v2");
- ``markdown``: a markdown table (header, separator, rows).

Each form is embedded and indexed on its own (LanceDB, same MiniLM), and the questions whose
answer figures stand in a table are searched over table pieces only. Printed per form and
mode: evidence-page hit@10 and figure recall@10 (as in ``reports.py``), and the share of pieces
longer than the embedding model's 256-piece window (their tail is never embedded).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from docent.index.base import Chunk
from docent.index.lancedb import LanceDBIndex
from docent.ingest.chunk import token_counter
from docent.ingest.identity import identify
from docent.ingest.parse import parse_bytes
from docent.ingest.table import SEPARATOR, Table
from docent.retrieve import Retriever
from docent.settings import load_settings
from docent.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports import figure_recall, gold_figures, mean, page_hit  # noqa: E402

MODES = ("dense", "bm25", "hybrid")


def as_rows(t: Table, rows: list[tuple[str, ...]]) -> str:
    return "\n".join(x for x in [t.caption, SEPARATOR.join(t.header).strip(), *(SEPARATOR.join(r) for r in rows)] if x)


def as_cells(t: Table, rows: list[tuple[str, ...]]) -> str:
    def line(r: tuple[str, ...]) -> str:
        return SEPARATOR.join([r[0], *(f"{h}: {v}" if h else v for h, v in zip(t.header[1:], r[1:]) if v)])
    return "\n".join(x for x in [t.caption, *(line(r) for r in rows)] if x)


def as_markdown(t: Table, rows: list[tuple[str, ...]]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cells) + " |"
    return "\n".join(x for x in [t.caption, line(t.header), line(tuple("---" for _ in t.header)), *map(line, rows)] if x)


FORMS: dict[str, Callable[[Table, list[tuple[str, ...]]], str]] = {"rows": as_rows, "cells": as_cells, "markdown": as_markdown}


def pieces(pdfs: Path, names: set[str], per_piece: int) -> list[tuple[str, int, str, Table, list]]:
    """(document name, zero-based page, identity line, table, rows of the piece) for every piece."""
    out = []
    for name in sorted(names):
        path = pdfs / f"{name}.pdf"
        doc = parse_bytes(path.read_bytes(), path.name)
        header = identify(doc.elements, path.as_uri()).header()
        for el in doc.elements:
            if el.table is not None and el.page is not None:
                rows = list(el.table.rows)
                for i in range(0, max(len(rows), 1), per_piece):
                    out.append((name, el.page - 1, header, el.table, rows[i:i + per_piece]))
        print(f"parsed {name}: {sum(p[0] == name for p in out)} table pieces", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/financebench-dev"))
    ap.add_argument("--rows", type=int, default=12, help="rows per piece")
    ap.add_argument("-k", type=int, default=10)
    args = ap.parse_args()
    questions = [json.loads(x) for x in (args.data / "questions.jsonl").read_text().splitlines() if x.strip()]
    all_pieces = pieces(args.data / "pdfs", {q["doc_name"] for q in questions}, args.rows)
    # The questions whose figures stand in a table on an evidence page: what a table's text form decides.
    in_tables = {(n, p): " ".join(as_rows(t, r) for m, pg, _, t, r in all_pieces if (m, pg) == (n, p))
                 for n, p, *_ in all_pieces}
    asked = [q for q in questions if (f := gold_figures(q["answer"])) and any(
        figure_recall(f, [in_tables.get((e["doc_name"], e["evidence_page_num"]), "")]) for e in q["evidence"])]
    print(f"{len(all_pieces)} table pieces; {len(asked)} of {len(questions)} questions have figures in a table",
          file=sys.stderr)
    settings = load_settings()
    ws = Workspace(settings)
    count = token_counter(str(ws.embedder.tokenizer_file))
    print(f"{'form':<10}{'mode':<8}{'hit@10':>9}{'figures@10':>12}{'over 256':>10}")
    for form, write in FORMS.items():
        texts = [f"{h}\n{write(t, r)}" for _, _, h, t, r in all_pieces]
        over = sum(count(x) > 256 for x in texts) / len(texts)
        with tempfile.TemporaryDirectory() as tmp:
            index = LanceDBIndex(Path(tmp), "tables", ws.embedder.dim)
            chunks = [Chunk(f"{form}-{i}", name, i, text, str(i), f"file:///{name}.pdf", page + 1, category="Table")
                      for i, ((name, page, *_), text) in enumerate(zip(all_pieces, texts))]
            vectors, _ = ws.embedder.embed(texts)
            index.upsert(chunks, vectors)
            index.refresh()
            retriever = Retriever(index, ws.embedder, settings.retrieval)
            for mode in MODES:
                hits = [retriever.search(q["question"], k=args.k, mode=mode) for q in asked]
                hit = mean([page_hit(q, [(h.chunk.doc_id, h.chunk.page - 1) for h in hs]) for q, hs in zip(asked, hits)])
                fig = mean([figure_recall(gold_figures(q["answer"]), [h.chunk.text for h in hs]) for q, hs in zip(asked, hits)])
                print(f"{form:<10}{mode:<8}{hit:>9.3f}{fig:>12.3f}{over:>10.1%}", flush=True)


if __name__ == "__main__":
    main()
