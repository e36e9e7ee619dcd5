"""``docent ask`` and ``docent stats`` as a user runs them, including Ctrl-C during an answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from docent.devtools.fake_llm_server import fake_model
from tests.docent.test_cli import DOCENT, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli-chat")
    (root / "docs").mkdir()
    (root / "docs" / "policy.md").write_text(
        "# Travel\n\nHotels are capped at 180 euros per night.\n\n# Leave\n\nParental leave lasts sixteen weeks.\n"
    )
    run(["ingest", str(root / "docs")], root / "data")
    return root / "data"


def test_ask_streams_an_answer_with_sources_then_stats_summarise_it(data):
    out = run(["ask", "How long is parental leave?"], data).stdout
    assert "sixteen weeks" in out and "[1]" in out and "Sources" in out and "policy.md" in out
    conversation = out.split("conversation ")[1].split()[0]
    follow = run(["ask", "And hotels?", "-c", conversation, "--json"], data).stdout
    events = [json.loads(line) for line in follow.splitlines()]
    assert events[0]["kind"] == "sources" and "parental leave" in events[0]["question"].lower()
    assert events[-1]["kind"] == "final" and events[-1]["state"] == "completed"
    stats = json.loads(run(["stats", "--json"], data).stdout)
    assert stats["answers"] >= 2 and stats["completed_share"] == 1.0
    assert stats["ttft_ms"]["n"] >= 2 and stats["ttft_ms"]["p95"] > 0


def test_bad_questions_are_refused_with_a_message(data):
    empty = run(["ask", "   "], data, check=False)
    assert empty.returncode == 2 and "empty" in empty.stderr
    unknown = run(["ask", "hi?", "-c", "nope"], data, check=False)
    assert unknown.returncode == 2 and "no conversation" in unknown.stderr


def test_ctrl_c_cancels_the_answer_and_closes_the_model_connection(data, fake_llm):
    run_id = uuid.uuid4().hex[:8]
    env = {
        **os.environ, "DOCENT_DATA_DIR": str(data), "DOCENT_EMBEDDING__BACKEND": "torch",
        "DOCENT_CHAT__MODEL": fake_model(tokens=500, token_ms=20, run=run_id),
        "DOCENT_CHAT__API_BASE": fake_llm.base_url, "DOCENT_CHAT__API_KEY": "fake",
    }
    proc = subprocess.Popen(DOCENT + ["ask", "How long is parental leave?"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and not any(r["tokens_sent"] >= 5 for r in fake_llm.requests(run=run_id)):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "cancelled" in stdout and "w0-" in stdout
    (request,) = fake_llm.requests(run=run_id)
    assert request["disconnected_at"] and request["tokens_sent"] < 200
    stats = json.loads(run(["stats", "--json"], data).stdout)
    assert stats["states"].get("cancelled") == 1


def test_ask_with_a_picture_reads_it_and_a_bad_picture_is_refused(data, tmp_path):
    from docent.devtools.hostile import encoded, page

    screenshot = tmp_path / "question.png"
    screenshot.write_bytes(encoded(page(["How long does parental leave last?"], size=60), "PNG"))
    out = run(["ask", "--image", str(screenshot), "Can you answer this?"], data).stdout
    assert "sixteen weeks" in out and "policy.md" in out
    missing = run(["ask", "--image", str(tmp_path / "nope.png"), "What is this?"], data, check=False)
    assert missing.returncode == 2 and "no such picture" in missing.stderr
    (tmp_path / "notes.png").write_text("not a picture")
    bad = run(["ask", "--image", str(tmp_path / "notes.png"), "What is this?"], data, check=False)
    assert bad.returncode == 2 and "not a readable image" in bad.stderr
