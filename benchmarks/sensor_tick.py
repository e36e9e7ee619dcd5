"""One source-sensor tick over a large folder in which a few files changed: seconds, files read.

The manifest is seeded with the real size, mtime and hash of every file (as after a full
ingestion, without spending an hour embedding 10,000 files), then ``--changed`` files are edited
and one tick runs against a throwaway Dagster instance.

    python benchmarks/sensor_tick.py --files 10000 --changed 10
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project folder: assets/ is not installed

from assets.definitions import build_definitions
from assets.resources import DocentResource, SettingsResource, SourceResource
from docent.ingest import pipeline
from docent.ingest.chunk import doc_id_for
from docent.ingest.manifest import DocumentRecord
from docent.ingest.sources import list_files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--changed", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-sensor-"))
    try:
        root = tmp / "docs"
        for i in range(args.files):
            sub = root / f"d{i // 1000:02d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"note{i:05d}.txt").write_text(f"Note {i}: the widget {i} ships in week {i % 52}.\n")
        docent = DocentResource.build(settings=SettingsResource(data_dir=str(tmp / "data")))
        ws = docent.workspace
        records = [
            DocumentRecord(doc_id_for(f.uri), f.uri, hashlib.sha256(Path(f.uri[7:]).read_bytes()).hexdigest(),
                           f.size, f.mtime, "indexed", None, 1)
            for f in list_files(str(root))
        ]
        ws.manifest.save(records)
        changed = sorted(root.rglob("*.txt"))[:: max(1, args.files // args.changed)][: args.changed]
        later = time.time() + 5
        for path in changed:
            path.write_text(path.read_text() + "Revised.\n")
            os.utime(path, (later, later))
        reads: list[str] = []
        real = pipeline.read_bytes
        pipeline.read_bytes = lambda uri, opts=None: reads.append(uri) or real(uri, opts)
        defs = build_definitions(docent, SourceResource(roots=[str(root)]))
        with dg.instance_for_test() as instance:
            t = time.perf_counter()
            with dg.build_sensor_context(instance=instance, resources=defs.resources, definitions=defs) as ctx:
                result = defs.resolve_sensor_def("source_sensor")(ctx)
            seconds = time.perf_counter() - t
        requested = [f for r in result.run_requests for f in ws.batches.get(r.partition_key).files]
        print(json.dumps({
            "files": args.files, "changed": len(changed), "tick_seconds": round(seconds, 2),
            "files_read": len(reads), "files_requested": len(requested), "runs_requested": len(result.run_requests),
        }, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
