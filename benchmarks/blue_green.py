"""Build a new index version (another chunk size) of SciFact while searches run against the live
one at a fixed rate, then promote it: failed searches, latency, and how long the switch takes.

    python benchmarks/blue_green.py --data ../shared/data/scifact-dev [--limit N] [--qps 20]
"""

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docent.evaluate import beir
from docent.index.promotion import promote
from docent.settings import load_settings
from docent.workspace import Workspace


class Searcher:
    """Fires searches at a fixed rate from a small pool; records latency, errors, versions served."""

    def __init__(self, ws: Workspace, queries: list[str], qps: float):
        self.ws, self.queries, self.qps = ws, queries, qps
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.served: dict[str, int] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _one(self, query: str) -> None:
        t = time.perf_counter()
        try:
            hits = self.ws.retriever.search(query, k=10)
            version = hits[0].chunk.fingerprint if hits else "none"
            with self._lock:
                self.latencies.append(time.perf_counter() - t)
                self.served[version] = self.served.get(version, 0) + 1
        except Exception as exc:  # every failure is reported
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def run(self) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            i, start = 0, time.perf_counter()
            while not self._stop.is_set():
                pool.submit(self._one, self.queries[i % len(self.queries)])
                i += 1
                time.sleep(max(0.0, start + i / self.qps - time.perf_counter()))

    def stop(self) -> None:
        self._stop.set()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/scifact-dev"))
    ap.add_argument("--limit", type=int, help="only the first N abstracts")
    ap.add_argument("--qps", type=float, default=20.0)
    ap.add_argument("--new-max-tokens", type=int, default=128, help="chunk size of the new version")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docent-bench-bluegreen-"))
    try:
        folder = tmp / "docs"
        folder.mkdir()
        beir.write_files(args.data / "corpus.jsonl", folder, args.limit)
        queries = list(beir.load_queries(args.data / "queries.jsonl").values())
        base = load_settings(data_dir=tmp / "data")
        live = Workspace(base)
        t = time.perf_counter()
        first = live.ingest(str(folder))
        print(f"live version {first.version}: {first.chunks} chunks in {time.perf_counter() - t:.0f} s", flush=True)

        reader = Workspace(base)  # what the app holds: it follows the alias
        searcher = Searcher(reader, queries, args.qps)
        thread = threading.Thread(target=searcher.run)
        thread.start()
        new_settings = base.model_copy(update={"chunking": base.chunking.model_copy(update={"max_tokens": args.new_max_tokens})})
        green = Workspace(new_settings)
        t = time.perf_counter()
        built = green.ingest(str(folder))
        build_s = time.perf_counter() - t
        during = len(searcher.latencies)
        t = time.perf_counter()
        done = promote(green, built.version)
        promote_s = time.perf_counter() - t
        time.sleep(3.0)  # searches go on, now on the new version
        searcher.stop()
        thread.join()
        lat = sorted(searcher.latencies)
        print(json.dumps({
            "documents": len(first.new),
            "new_version_build_seconds": round(build_s, 1),
            "new_version_chunks": built.chunks,
            "searches": len(lat) + len(searcher.errors),
            "searches_during_build": during,
            "achieved_qps_during_build": round(during / build_s, 1),
            "failed_searches": len(searcher.errors),
            "errors": searcher.errors[:5],
            "latency_ms_p50": round(1000 * statistics.median(lat), 1),
            "latency_ms_p95": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
            "served_by_version": searcher.served,
            "promotion_with_checks_seconds": round(promote_s, 3),
            "alias_switch_seconds": round(done.switch_seconds, 4),
        }, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
