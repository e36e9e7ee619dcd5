"""Ingest the same documents through Dagster (the ingestion job, in-process, on a throwaway
instance) and through plain ``docent ingest``, in one process, and print the wall-time ratio.

    python benchmarks/dagster_ingest.py --data ../shared/data/scifact-dev --limit 1000
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project folder: assets/ is not installed

from assets.resources import DocentResource, SettingsResource
from assets.run_ingest import ingest_with_dagster
from docent.evaluate import beir
from docent.settings import load_settings
from docent.workspace import Workspace


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/scifact-dev"))
    ap.add_argument("--limit", type=int, default=1000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-dagster-"))
    try:
        folder = tmp / "docs"
        folder.mkdir()
        n = beir.write_files(args.data / "corpus.jsonl", folder, args.limit)
        plain = Workspace(load_settings(data_dir=tmp / "plain"))
        docent = DocentResource.build(settings=SettingsResource(data_dir=str(tmp / "dagster")))
        _ = plain.embedder.model, docent.workspace.embedder.model  # model export and load outside the clock
        print(f"{n} documents; docent ingest…", flush=True)
        t = time.perf_counter()
        direct = plain.ingest(str(folder))
        direct_s = time.perf_counter() - t
        print("through Dagster…", flush=True)
        with dg.instance_for_test() as instance:
            t = time.perf_counter()
            via = ingest_with_dagster(str(folder), docent=docent, instance=instance)
            dagster_s = time.perf_counter() - t
        result = {
            "documents": n,
            "docent_ingest_seconds": round(direct_s, 1),
            "dagster_seconds": round(dagster_s, 1),
            "wall_time_ratio": round(dagster_s / direct_s, 3),
            "chunks": [direct.chunks, via.report.chunks],
            "dagster_runs": len(via.run_ids),
            "dagster_stage_seconds": {k: round(v, 1) for k, v in via.report.stage_seconds.items()},
            "docent_stage_seconds": {k: round(v, 1) for k, v in direct.stage_seconds.items()},
        }
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
