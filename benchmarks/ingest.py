"""Ingestion throughput: ``docent ingest`` over SciFact written as one text file per abstract,
against plain ``SentenceTransformer.encode`` of the same chunk texts in the same run; then the
no-op re-run and peak memory.

    python benchmarks/ingest.py --data ../shared/data/scifact-dev [--limit N] [--backend torch]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from docent.evaluate import beir
from docent.evaluate.bench import ingest_benchmark
from docent.settings import load_settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/scifact-dev"))
    ap.add_argument("--limit", type=int, help="only the first N abstracts")
    ap.add_argument("--backend", choices=["openvino", "torch", "onnx"])
    args = ap.parse_args()

    settings = load_settings(**({"embedding": {"backend": args.backend}} if args.backend else {}))
    folder = Path(tempfile.mkdtemp(prefix="docent-scifact-files-"))
    try:
        n = beir.write_files(args.data / "corpus.jsonl", folder, args.limit)
        print(f"wrote {n} files to {folder}")
        result = ingest_benchmark(settings, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
