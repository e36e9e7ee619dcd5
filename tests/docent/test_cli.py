"""The CLI as a user runs it: a real process per command, real model, files in a temp data dir."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

DOCENT = [sys.executable, "-m", "docent.cli"]


def run(args: list[str], data_dir: Path, check: bool = True, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir), "DOCENT_EMBEDDING__BACKEND": "torch", **env_vars}
    proc = subprocess.run(DOCENT + args, capture_output=True, text=True, env=env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"docent {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.mark.parametrize("args", [[], ["ingest"], ["search"], ["status"], ["bench"], ["bench", "retrieval"], ["bench", "ingest"]])
def test_every_command_has_help(args, tmp_path):
    out = run(args + ["--help"], tmp_path).stdout
    assert "Usage" in out and "--help" in out


def test_ingest_search_status(tmp_path):
    docs = tmp_path / "my docs"
    docs.mkdir()
    (docs / "policy.md").write_text("# Travel\n\nHotels are capped at 180 euros per night.\n\n# Leave\n\nParental leave lasts sixteen weeks.\n")
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "passwd").write_text("root:x:0:0 secret\n")
    (docs / "notes.txt").symlink_to(tmp_path / "passwd")  # a link out of the source
    data = tmp_path / "data"
    first = run(["ingest", str(docs)], data)
    assert "quarantined" in first.stdout and "bad.pdf" in first.stdout
    summary = " ".join(first.stdout.split())
    assert "ingest summary" in summary
    assert "skipped, never read: " in summary and "notes.txt: a symbolic link that leads outside the source" in summary
    hits = [json.loads(line) for line in run(["search", "hotel price per night", "-k", "2", "--json"], data).stdout.splitlines()]
    assert hits[0]["rank"] == 1 and "180 euros" in hits[0]["text"] and hits[0]["source"].endswith("policy.md")
    assert hits[0]["section"] == "Travel"
    shown = run(["search", "parental leave", "--mode", "bm25"], data).stdout
    assert "policy.md" in shown and "sixteen weeks" in shown
    nothing = run(["search", "hotel", "--json", "--doc-id", "no-such-document"], data)
    assert nothing.stdout == "" and "no results" in nothing.stderr  # stdout stays JSON lines
    status = run(["status"], data).stdout
    assert "1 documents indexed" in status and "1 quarantined, 1 skipped (never read)" in status
    assert f"{docs}/notes.txt (skipped)" in " ".join(status.split())
    assert f"{docs}/bad.pdf (parse)" in " ".join(status.split())  # the path, not its percent-encoded URI


def test_scans_and_pictures_are_searchable_and_status_says_they_were_ocrd(tmp_path):
    from docent.devtools.hostile import encoded, page, scanned_pdf

    docs = tmp_path / "scans"
    docs.mkdir()
    annex = page(["Annex: deliveries to the Utrecht depot arrive on Tuesdays."])
    (docs / "contract.pdf").write_bytes(scanned_pdf(page(), annex.rotate(90, expand=True)))
    (docs / "receipt.jpg").write_bytes(encoded(page(["Receipt: two espressos at the Harbour Cafe, 7.40"]), "JPEG"))
    data = tmp_path / "data"
    run(["ingest", str(docs)], data)
    hits = [json.loads(line) for line in run(["search", "espressos Harbour Cafe", "-k", "1", "--json"], data).stdout.splitlines()]
    assert hits[0]["source"].endswith("receipt.jpg") and "7.40" in hits[0]["text"]
    for question, words in (("terminate ninety days notice", "ninety days"), ("Utrecht depot deliveries", "Utrecht depot")):
        hit = json.loads(run(["search", question, "-k", "1", "--json"], data).stdout.splitlines()[0])
        assert hit["source"].endswith("contract.pdf") and words in hit["text"]  # page 2 was read turned
    status = "".join(run(["status"], data).stdout.split())  # the console wraps long paths anywhere
    assert "2readbyOCR" in status
    assert "contract.pdf:2of2page(s)OCR'd,meanconfidence" in status and "page2:turned90°" in status


def test_a_picture_waits_for_tesseract_and_is_indexed_by_the_next_run_once_it_is_there(tmp_path):
    """A machine without Tesseract: PATH holds only coreutils' timeout (a real absence, not a mock)."""
    import shutil

    from docent.devtools.hostile import encoded, page

    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "timeout").symlink_to(shutil.which("timeout"))
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    (docs / "whiteboard.png").write_bytes(encoded(page(["Sprint goal: migrate the billing service"]), "PNG"))
    (docs / "notes.md").write_text("# Notes\n\nThe retro is on Friday.\n")
    run(["ingest", str(docs)], data, PATH=str(bare))
    status = "".join(run(["status"], data).stdout.split())
    assert "whiteboard.png(tool):animagefile;OCRneedstesseract(Debianpackagetesseract-ocr)" in status
    run(["ingest", str(docs)], data)  # the same bytes, no --retry-quarantined
    assert "2documentsindexed" in "".join(run(["status"], data).stdout.split())
    hit = json.loads(run(["search", "sprint goal billing", "-k", "1", "--json"], data).stdout.splitlines()[0])
    assert hit["source"].endswith("whiteboard.png") and "migrate the billing service" in hit["text"]


def test_bad_input_gets_a_clear_message(tmp_path):
    missing = run(["ingest", str(tmp_path / "nope")], tmp_path / "d", check=False)
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    gone_bucket = run(["ingest", "memory://no-bucket/x"], tmp_path / "d", check=False)
    assert gone_bucket.returncode == 2 and "no such folder or bucket" in gone_bucket.stderr
    empty = run(["search", "anything"], tmp_path / "d2", check=False)
    assert empty.returncode == 1 and "docent ingest" in empty.stderr
    env_bad = subprocess.run(DOCENT + ["status"], capture_output=True, text=True,
                             env={**os.environ, "DOCENT_RETRIEVAL__K": "zero"})
    assert env_bad.returncode == 2 and "retrieval.k" in env_bad.stderr


@pytest.mark.parametrize(("setting", "value", "command", "message"), [
    ("DOCENT_STATE__URL", "postgresql+psycopg://postgres@127.0.0.1:9/test", ["status"], "cannot reach the state database"),
    ("DOCENT_CACHE__REDIS_URL", "redis://127.0.0.1:9/0", ["ingest", "samples/acme"], "cannot reach Redis"),
])
def test_a_server_that_cannot_be_reached_is_one_line_not_a_traceback(tmp_path, setting, value, command, message):
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "d"), "DOCENT_EMBEDDING__BACKEND": "torch", setting: value}
    proc = subprocess.run(DOCENT + command, capture_output=True, text=True, env=env, timeout=300,
                          cwd=Path(__file__).parents[2])
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and setting in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_bench_retrieval_json(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    topics = ["volcanoes erupt lava", "penguins live in antarctica", "bread needs yeast to rise",
              "comets have icy tails", "violins have four strings", "glaciers carve valleys"]
    corpus.write_text("".join(json.dumps({"_id": f"d{i}", "title": t.split()[0], "text": t}) + "\n" for i, t in enumerate(topics)))
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps({"_id": f"q{i}", "text": t}) + "\n" for i, t in
                                                    enumerate(["lava from a volcano", "antarctic penguins", "string instrument violin"])))
    # q9 is judged but has no text: BEIR leaves it out rather than scoring it as a miss
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\nq2\td4\t1\nq9\td2\t1\n")
    live = tmp_path / "data"
    proc = run(["bench", "retrieval", "--corpus", str(corpus), "--queries", str(tmp_path / "queries.jsonl"),
                "--qrels", str(tmp_path / "qrels.tsv"), "--mode", "dense", "--json"], live)
    assert "1 judged queries have no text" in proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) == {"mode", "ndcg@10", "recall@100", "mrr@10", "queries", "seconds"}
    assert result["mode"] == "dense" and result["queries"] == 3
    assert result["ndcg@10"] > 0.9 and result["recall@100"] == 1.0
    assert not (live / "lancedb").exists() or not any((live / "lancedb").iterdir()), "the live index was touched"


@pytest.mark.parametrize(("corpus", "queries", "qrels", "message"), [
    ('{"_id": "d1", "text": "x"\n', '{"_id": "q1", "text": "y"}\n', "q1\td1\t1\n", "corpus.jsonl:1: not a JSON line"),
    ('{"id": "d1", "text": "x"}\n', '{"_id": "q1", "text": "y"}\n', "q1\td1\t1\n", "corpus.jsonl:1: no '_id' field"),
    ('{"_id": "d1", "text": "x"}\n', '{"_id": "q1"}\n', "q1\td1\t1\n", "queries.jsonl:1: no 'text' field"),
    ('{"_id": "d1", "text": "x"}\n', '{"_id": "q1", "text": "y"}\n', "q1,d1,1\n", "no judgements"),
    ('{"_id": "d1", "text": "x"}\n', '{"_id": "q1", "text": "y"}\n', "q7\td1\t1\n", "same data set"),
])
def test_bench_retrieval_refuses_files_that_are_not_beir(tmp_path, corpus, queries, qrels, message):
    for name, text in (("corpus.jsonl", corpus), ("queries.jsonl", queries), ("qrels.tsv", qrels)):
        (tmp_path / name).write_text(text)
    proc = run(["bench", "retrieval", "--corpus", str(tmp_path / "corpus.jsonl"), "--queries", str(tmp_path / "queries.jsonl"),
                "--qrels", str(tmp_path / "qrels.tsv")], tmp_path / "data", check=False)
    assert proc.returncode == 2 and message in " ".join(proc.stderr.split()), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_two_ingests_of_one_folder_at_once_index_it_once(tmp_path, state_url):
    """CLI + CLI on one data directory, with the state on SQLite and on Postgres: one writer at a time."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"note-{i:02d}.md").write_text(f"# Note {i}\n\nThe office in city number {i} opens at {7 + i % 3} am.\n")
    data = tmp_path / "data"
    env = {**os.environ, "DOCENT_DATA_DIR": str(data), "DOCENT_EMBEDDING__BACKEND": "torch", "DOCENT_STATE__URL": state_url}
    both = [subprocess.Popen(DOCENT + ["ingest", str(docs)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for proc in both:
        out, errs = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + errs

    from docent.settings import load_settings
    from docent.workspace import Workspace

    ws = Workspace(load_settings(data_dir=data, embedding={"backend": "torch"}, state={"url": state_url}))
    records = ws.manifest.all()
    ids = [c.chunk_id for c in ws.index.fetch({}, 10_000)]
    assert len(records) == 40 and all(r.status == "indexed" for r in records.values())
    assert len(ids) == len(set(ids)) == sum(r.chunks for r in records.values())
    ws.close()


def test_an_ingestion_that_waits_too_long_for_another_writer_exits_4(tmp_path):
    from docent.settings import load_settings
    from docent.store.db import engine_for
    from docent.store.locks import exclusive

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nThe office opens at 8 am.\n")
    data = tmp_path / "data"
    settings = load_settings(data_dir=data, embedding={"backend": "torch"})
    env = {**os.environ, "DOCENT_DATA_DIR": str(data), "DOCENT_EMBEDDING__BACKEND": "torch", "DOCENT_SYNC__WRITE_WAIT_S": "1"}
    with exclusive(engine_for(settings.state_url), f"write-{settings.index_fingerprint()}", 5):  # another writer
        held = subprocess.run(DOCENT + ["ingest", str(docs)], capture_output=True, text=True, env=env, timeout=300)
    assert held.returncode == 4, held.stdout + held.stderr
    assert "another ingestion is writing the same index" in held.stderr and "waiting" in held.stderr
    assert f"still held by {socket.gethostname()}:{os.getpid()} since" in " ".join(held.stderr.split())
    again = subprocess.run(DOCENT + ["ingest", str(docs)], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 documents indexed" in run(["status"], data).stdout
