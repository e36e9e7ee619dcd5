"""``docent eval run|report`` as a user runs them: a real process per command over the sample index."""

from __future__ import annotations

import os
import subprocess
import sys

DOCENT = [sys.executable, "-m", "docent.cli"]
GOOD = ('{"id": "pw", "question": "How long must passwords be?", "reference_answer": "Passwords must be at least 14 characters long.",'
        ' "reference_contexts": ["Passwords must be at least 14 characters long"]}\n')
BAD = ('{"id": "pw", "question": "How long must passwords be?", "reference_answer": "Passwords never expire at Acme.",'
       ' "reference_contexts": ["The Porter P9 robot costs one million dollars per unit"]}\n')


def docent(args: list[str], acme_ws, state: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCENT_DATA_DIR": str(acme_ws.settings.data_dir), "DOCENT_STATE__URL": state,
           "DOCENT_EMBEDDING__BACKEND": "torch", "COLUMNS": "200", **env_extra}
    return subprocess.run(DOCENT + args, capture_output=True, text=True, env=env, timeout=300)


def test_eval_run_passes_fails_and_reports_a_comparison(acme_ws, tmp_path):
    state = f"sqlite:///{tmp_path / 'state.db'}"
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(GOOD)
    bad.write_text(BAD)
    passed = docent(["eval", "run", "--suite", "golden", "--golden", str(good)], acme_ws, state)
    assert passed.returncode == 0, passed.stderr
    assert "golden evaluation passed" in passed.stdout and "recall@k" in passed.stdout
    first = passed.stdout.split("· run ")[1].split()[0]

    failed = docent(["eval", "run", "--suite", "golden", "--golden", str(bad)], acme_ws, state)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "recall@k is 0.000, below the threshold" in failed.stdout and "alert:" in failed.stderr

    report = docent(["eval", "report", "--compare", first[:8], "--metric", "semantic_similarity"], acme_ws, state)
    assert report.returncode == 0, report.stderr
    assert "0 better · 1 worse · 0 same" in report.stdout and "worst answers" in report.stdout


def test_eval_run_exits_3_when_the_gate_had_not_enough_data(acme_ws, tmp_path):
    state = f"sqlite:///{tmp_path / 'state.db'}"
    good = tmp_path / "good.jsonl"
    good.write_text(GOOD)
    # a gate of a judge metric and no judge model: nothing of the gate measured, so neither passed nor failed
    unjudged = docent(["eval", "run", "--suite", "golden", "--golden", str(good)], acme_ws, state,
                      DOCENT_EVALUATION__GATE='{"faithfulness": 0.8}')
    assert unjudged.returncode == 3, unjudged.stdout + unjudged.stderr
    assert "golden evaluation not enough data" in unjudged.stdout
    assert "none of the threshold metrics (faithfulness) was measured" in unjudged.stdout + unjudged.stderr
    assert "3 not enough data" in docent(["eval", "run", "--help"], acme_ws, state).stdout  # documented where it is used


def test_eval_refuses_bad_input_with_a_message(acme_ws, tmp_path):
    state = f"sqlite:///{tmp_path / 'state.db'}"
    missing = docent(["eval", "run", "--golden", str(tmp_path / "nope.jsonl")], acme_ws, state)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    suite = docent(["eval", "run", "--suite", "weekly"], acme_ws, state)
    assert suite.returncode == 2 and "unknown suite 'weekly'" in suite.stderr
    nothing = docent(["eval", "report", "--suite", "sample"], acme_ws, state)
    assert nothing.returncode == 2 and "no finished sample run yet" in nothing.stderr
