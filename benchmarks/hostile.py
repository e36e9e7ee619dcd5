"""The hostile-files folder through `docent ingest` as a user runs it, with the default settings:
what each file became, whether the secret outside the folder reached the index, and the peak
memory of the whole run (the CLI process, its parser processes and the programs they start).
A one-note folder is ingested first into the same data directory: that first run also exports
the embedding model (once per data directory), so the hostile run is measured as every later run is.

    python benchmarks/hostile.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from docent.devtools.hostile import hostile_folder
from docent.devtools.measure import run_measured

SECRET = "TOP-SECRET-TOKEN-7731"


def ingest(folder: Path, data: Path) -> tuple[subprocess.CompletedProcess, float, int]:
    """``docent ingest folder`` as a user runs it: the result, seconds, and the peak RSS of its process tree."""
    env = {**os.environ, "DOCENT_DATA_DIR": str(data)}
    return run_measured([sys.executable, "-m", "docent.cli", "ingest", str(folder)], env)


def docent(args: list[str], data: Path) -> str:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "docent.cli", *args], env=env, capture_output=True, text=True).stdout


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="docent-hostile-") as work:
        root = Path(work)
        (root / "plain").mkdir()
        (root / "plain" / "note.md").write_text("# Note\n\nThe canteen opens at noon.\n")
        _, plain_s, plain_peak = ingest(root / "plain", root / "data")
        secret = root / "outside" / "credentials.txt"
        secret.parent.mkdir()
        secret.write_text(f"password: {SECRET}\n")
        expected = hostile_folder(root / "docs", secret)
        run, seconds, peak = ingest(root / "docs", root / "data")
        status = " ".join(docent(["status"], root / "data").split())
        found = docent(["search", f"password {SECRET}", "-k", "10", "--json", "--mode", "bm25"], root / "data")
    print(json.dumps({
        "exit_code": run.returncode, "seconds": round(seconds, 1), "peak_rss_mib": round(peak / 2**20),
        "first_run_one_note_seconds": round(plain_s, 1), "first_run_one_note_peak_rss_mib": round(plain_peak / 2**20),
        "quarantined_as_expected": {name: words in status for name, words in expected.items()},
        "secret_in_index": SECRET in found, "status": status[:2500],
    }, indent=2))


if __name__ == "__main__":
    main()
