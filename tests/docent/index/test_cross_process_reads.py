"""A long-running reader (the API server, the app) sees what another process writes into the index.

Process A opens the LanceDB table through the workspace and searches it; process B (a real
``docent ingest`` subprocess, as a CLI run or a Dagster run would be) adds one document, rewrites
another and deletes a third. A's next searches, in every mode, must see all three changes without
a restart. The test waits for B to exit, never on a sleep: B alone (a Python start, the model
load, an ingest) takes longer than the index's re-check interval, which the test asserts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docent.index.lancedb import READ_CONSISTENCY_S, LanceDBIndex
from docent.ingest.chunk import doc_id_for
from docent.retrieve import MODES
from docent.workspace import Workspace

FILLER = " ".join(f"Line {j} of an ordinary note about gadgets and their upkeep." for j in range(8))


def write(root: Path, name: str, word: str) -> None:
    (root / name).write_text(f"# {name}\n\n{FILLER} The {word} is mentioned here. {FILLER}\n")


def texts(hits) -> str:
    return " ".join(h.chunk.text for h in hits)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    write(root, "kept.md", "teapot")
    write(root, "rewritten.md", "quokka")
    write(root, "removed.md", "axolotl")
    return root


def ingest_in_another_process(data_dir: Path, root: Path) -> None:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_EMBEDDING__BACKEND": "torch",
           "DOCENT_EMBEDDING__BATCH_SIZE": "32"}
    proc = subprocess.run([sys.executable, "-m", "docent.cli", "ingest", str(root), "--allow-mass-delete"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_running_reader_sees_another_process_add_replace_and_delete(settings, embedder, docs):
    reader = Workspace(settings)
    reader.__dict__["embedder"] = embedder
    reader.ingest(str(docs))
    live = reader.retriever
    assert isinstance(live.index, LanceDBIndex)
    for mode in MODES:  # A has the table open and has searched it in every mode
        assert "axolotl" in texts(live.search("axolotl", k=10, mode=mode))
        assert "zanzibarite" not in texts(live.search("zanzibarite", k=10, mode=mode))
    last_read = time.monotonic()

    write(docs, "added.md", "zanzibarite")
    write(docs, "rewritten.md", "narwhal")
    (docs / "removed.md").unlink()
    ingest_in_another_process(settings.data_dir, docs)
    assert time.monotonic() - last_read > READ_CONSISTENCY_S  # B's commit is due to be seen now

    stale = []
    for mode in MODES:
        found = live.search("zanzibarite", k=10, mode=mode)
        if not found or "zanzibarite" not in found[0].chunk.text:
            stale.append(f"{mode}: the document added by another process is not the best hit")
        everything = texts(live.search("gadgets upkeep note", k=10, mode=mode))
        if "narwhal" not in everything or "quokka" in everything:
            stale.append(f"{mode}: the rewritten document's old text is served instead of its new text")
        if "axolotl" in everything:
            stale.append(f"{mode}: the document deleted by another process is still served")
    assert not stale, "\n".join(stale)
    stored = live.index.chunk_counts()  # the bookkeeping reads follow too (sync checks, promotion gates)
    assert set(stored) == {doc_id_for((docs / name).as_uri()) for name in ("kept.md", "rewritten.md", "added.md")}
