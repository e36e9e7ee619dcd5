"""Two people's `docent ingest` and a Dagster run of the same folder at once, on SQLite and on
Postgres: all three wait for the index's writer lock, all then write, and every document ends up
indexed once (no duplicate chunk id, index rows equal to the manifest's)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import pytest

from assets.definitions import build_definitions
from assets.resources import DocentResource, EmbedderResource, SettingsResource, SourceResource, StateStoreResource
from docent.store.db import engine_for
from docent.store.locks import exclusive


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(30):
        (root / f"note-{i:02d}.md").write_text(f"# Note {i}\n\nThe depot in town number {i} opens at {6 + i % 4} am.\n")
    return root


@pytest.fixture
def defs(tmp_path: Path, corpus: Path, state_url: str) -> dg.Definitions:
    docent = DocentResource.build(settings=SettingsResource(data_dir=str(tmp_path / "data")),
                                  embedder=EmbedderResource(backend="torch", batch_size=32),
                                  state=StateStoreResource(url=state_url))
    return build_definitions(docent, SourceResource(roots=[str(corpus)]))


class Waiting(logging.Handler):
    """Set when this process logs that it waits for another ingestion's lock."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "is writing index version" in record.getMessage():
            self.seen.set()


@pytest.mark.slow
def test_two_cli_ingests_and_a_dagster_run_at_once_index_each_document_once(defs, instance, corpus, tick, run_all,
                                                                         state_url, tmp_path):
    ws = defs.resources["docent"].workspace
    requests, _ = tick()
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data"), "DOCENT_EMBEDDING__BACKEND": "torch",
           "DOCENT_STATE__URL": state_url}
    waiting = Waiting()
    logging.getLogger("docent.ingest").addHandler(waiting)
    results: list = []
    try:
        with exclusive(engine_for(state_url), f"write-{ws.manifest.version}", 5):  # both must queue behind it
            clis = [subprocess.Popen([sys.executable, "-m", "docent.cli", "ingest", str(corpus)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
            dagster = threading.Thread(target=lambda: results.extend(run_all(requests)))
            dagster.start()
            waits = [next((line for line in cli.stderr if "another ingestion" in line), "") for cli in clis]
            assert waiting.seen.wait(120), "the Dagster run never reached the lock"
        dagster.join(300)
        ends = [cli.communicate(timeout=300) for cli in clis]
    finally:
        logging.getLogger("docent.ingest").removeHandler(waiting)
    for cli, waited, (out, errs) in zip(clis, waits, ends):
        assert waited and cli.returncode == 0, out + errs  # each queued behind the lock, then finished
    assert [r.success for r in results] == [True]

    records = ws.manifest.all()
    ids = [c.chunk_id for c in ws.index.fetch({}, 10_000)]
    assert len(records) == 30 and all(r.status == "indexed" for r in records.values())
    assert len(ids) == len(set(ids)) == sum(r.chunks for r in records.values())
