"""kill -9 at random points of ingestions, then check that nothing was lost or duplicated.

Each round changes the folder a little (edits, new files, removals), starts ``docent ingest`` as a
user would, kills its whole process group with SIGKILL after a random delay (up to the length of a
full run), then runs ``docent ingest`` again to the end and checks the index against the folder:

- lost: a file of the folder that is not indexed, or indexed with fewer rows than its chunks;
- duplicated: a chunk id stored twice, or rows of a document the manifest does not hold as indexed.

    python benchmarks/kill_ingest.py [--rounds 20] [--files 120] [--seed 7] [--state-url postgresql+psycopg://…]

A Postgres state store gets a schema of its own for the run (dropped after it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from docent.index.promotion import count_mismatches
from docent.settings import load_settings
from docent.workspace import Workspace

WORDS = ("ledger invoice pallet turbine harbour lantern quarry saffron meadow copper violin glacier "
         "orchard beacon canyon falcon thimble walnut mosaic prairie").split()


def write_file(folder: Path, n: int, rng: random.Random) -> None:
    """A markdown note of a few sections, long enough to make several chunks."""
    sections = [f"## Part {s}\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 400))) + "."
                for s in range(rng.randint(1, 6))]
    (folder / f"note-{n:04d}.md").write_text(f"# Note {n} ({rng.random():.6f})\n\n" + "\n\n".join(sections))


def change(folder: Path, rng: random.Random, next_id: int) -> int:
    """Edit a few files, remove a few, add a few (below sync.max_delete_share); the next free id."""
    files = sorted(folder.glob("*.md"))
    for f in rng.sample(files, k=min(len(files), 6)):
        write_file(folder, int(f.stem.split("-")[1]), rng)
    for f in rng.sample(sorted(folder.glob("*.md")), k=min(len(files) // 20, 4)):
        f.unlink()
    for _ in range(rng.randint(2, 8)):
        write_file(folder, next_id, rng)
        next_id += 1
    return next_id


def ingest(folder: Path, env: dict[str, str], kill_after: float | None = None) -> tuple[int, float]:
    """``docent ingest folder``; with ``kill_after``, SIGKILL to its whole process group then. (exit, seconds)"""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "docent.cli", "ingest", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        code = proc.wait()
    return code, time.perf_counter() - started


def check(folder: Path) -> dict[str, int]:
    """Lost and duplicated, as the module's docstring defines them, after a complete run."""
    ws = Workspace(load_settings())
    try:
        records = ws.manifest.all()
        by_uri = {r.source_uri: r for r in records.values()}
        files = {f.as_uri() for f in folder.glob("*.md")}
        lost = sum(1 for uri in files if uri not in by_uri or by_uri[uri].status != "indexed")
        mismatched = count_mismatches(ws.index, records.values())
        short = sum(1 for expected, stored in mismatched.values() if stored < expected)
        ids = sum(len(ws.index.chunk_ids(d)) for d in ws.index.chunk_counts())
        return {"lost": lost + short, "duplicated_rows": ws.index.count() - ids,
                "rows_the_manifest_does_not_hold": sum(s - e for e, s in mismatched.values() if s > e),
                "files": len(files), "rows": ws.index.count()}
    finally:
        ws.close()


@contextlib.contextmanager
def own_schema(url: str | None) -> Iterator[str | None]:
    """A Postgres URL gets a schema of its own for the run, dropped after it, so runs never meet."""
    if not url or not url.startswith("postgresql"):
        yield url
        return
    schema, admin = f"docent_kill_{uuid.uuid4().hex[:10]}", sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--files", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--state-url", help="SQLAlchemy URL of the state store (default: SQLite in the data directory)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="docent-kill-") as work, own_schema(args.state_url) as state_url:
        folder, data = Path(work) / "docs", Path(work) / "data"
        folder.mkdir()
        os.environ["DOCENT_DATA_DIR"] = str(data)
        if state_url:
            os.environ["DOCENT_STATE__URL"] = state_url
        env = dict(os.environ)
        ingest(folder, env)  # the empty folder: the model is exported once, outside the runs measured
        for n in range(args.files):
            write_file(folder, n, rng)
        _, full_s = ingest(folder, env)
        expected = {"small": full_s / 3, "large": full_s / 2}  # how long a round's run takes, last seen
        totals, rounds, next_id = {"lost": 0, "duplicated_rows": 0, "rows_the_manifest_does_not_hold": 0}, [], args.files
        for i in range(args.rounds):
            next_id = change(folder, rng, next_id)
            kind = "large" if i % 2 else "small"
            if kind == "large":  # every other round rewrites a third of the folder: a long run to fall into
                for f in rng.sample(sorted(folder.glob("*.md")), k=len(list(folder.glob("*.md"))) // 3):
                    write_file(folder, int(f.stem.split("-")[1]), rng)
            delay = rng.uniform(0.2, 1.0) * expected[kind]
            killed_code, seconds = ingest(folder, env, kill_after=delay)
            if killed_code != -signal.SIGKILL:
                expected[kind] = seconds
            final_code, _ = ingest(folder, env)
            found = check(folder)
            for key in totals:
                totals[key] += found[key]
            rounds.append({"change": kind, "kill_after_s": round(delay, 1), "killed": killed_code == -signal.SIGKILL,
                           "rerun_exit": final_code, **found})
            print(json.dumps({"round": i + 1, **rounds[-1]}), flush=True)
    print(json.dumps({"rounds": args.rounds, "full_run_s": round(full_s, 1),
                      "killed_mid_run": sum(r["killed"] for r in rounds), **totals}, indent=2))


if __name__ == "__main__":
    main()
