"""Long reports on a busy machine: ``docent ingest`` of a folder (by default the 41 FinanceBench
filings, 4,460 pages) while every core is kept busy by another job, with the default settings.

What it checks: no document is quarantined for time (a parser that moves on page by page is never
stopped by ``parsing.timeout_s``, however slow the machine); and it prints pages/s, peak RSS of the
ingest's process tree, and every quarantine with its reason.

    python benchmarks/ingest_under_load.py [--data ../shared/data/financebench-dev/pdfs] [--busy N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

from docent.devtools.measure import run_measured
from docent.settings import load_settings
from docent.workspace import Workspace


def burn() -> None:
    """The other job: one core's worth of pure CPU, at normal priority, until it is stopped."""
    n = 0
    while True:
        n = (n * 7 + 3) % 1_000_003


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/financebench-dev/pdfs"))
    ap.add_argument("--busy", type=int, default=os.cpu_count() or 2, help="busy processes beside the ingest")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="docent-under-load-") as work:
        env = {**os.environ, "DOCENT_DATA_DIR": work}
        (Path(work) / "empty").mkdir()
        run_measured([sys.executable, "-m", "docent.cli", "ingest", str(Path(work) / "empty")], env)  # exports the model
        others = [multiprocessing.Process(target=burn, daemon=True) for _ in range(args.busy)]
        for p in others:
            p.start()
        try:
            run, seconds, peak = run_measured([sys.executable, "-m", "docent.cli", "ingest", str(args.data)], env)
        finally:
            for p in others:
                p.kill()
        os.environ["DOCENT_DATA_DIR"] = work
        records = Workspace(load_settings()).manifest.all().values()
    quarantined = {Path(r.source_uri).name: r.error for r in records if r.status == "quarantined"}
    pages = sum(r.pages or 0 for r in records)
    print(json.dumps({
        "exit_code": run.returncode, "busy_processes": args.busy, "documents": len(records),
        "indexed": sum(r.status == "indexed" for r in records), "pages": pages, "seconds": round(seconds, 1),
        "pages_per_s": round(pages / seconds, 2), "peak_rss_mib": round(peak / 2**20),
        "quarantined": quarantined,
        "quarantined_for_time": [name for name, why in quarantined.items() if "timeout_s)" in (why or "")],
        "stderr_tail": run.stderr[-1500:] if run.returncode else "",
    }, indent=2))


if __name__ == "__main__":
    main()
