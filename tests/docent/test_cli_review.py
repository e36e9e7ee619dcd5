"""``docent users`` and ``docent golden`` as a user runs them: a real process per command, a temp data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docent.access import Principal, Role
from docent.review.queue import ReviewQueue
from docent.store.chat import ChatStore

DOCENT = [sys.executable, "-m", "docent.cli"]


def run(args: list[str], data_dir: Path, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCENT_DATA_DIR": str(data_dir)}
    proc = subprocess.run(DOCENT + args, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"docent {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_users_add_and_list(tmp_path):
    data = tmp_path / "data"
    assert "added root (admin)" in run(["users", "add", "root", "--role", "admin", "--password-stdin"], data,
                                       "a long password\n").stdout
    run(["users", "add", "rita", "--role", "reviewer", "--password-stdin"], data, "rita's password\n")
    listed = run(["users", "list"], data).stdout
    assert "root" in listed and "admin" in listed and "rita" in listed and "reviewer" in listed
    from docent.review.users import UserStore

    users = UserStore(f"sqlite:///{data / 'docent.db'}")
    assert users.authenticate("rita", "rita's password").role == Role.REVIEWER


def test_users_add_refuses_bad_input(tmp_path):
    data = tmp_path / "data"
    run(["users", "add", "root", "--role", "admin", "--password-stdin"], data, "a long password\n")
    for args, stdin, message in (
        (["users", "add", "root", "--role", "admin"], "another password\n", "is taken"),
        (["users", "add", "bob", "--role", "admin"], "short\n", "at least 8 characters"),
        (["users", "add", "bob", "--role", "boss"], "a long password\n", "unknown role"),
    ):
        proc = run([*args, "--password-stdin"], data, stdin, check=False)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_an_admin_changes_disables_re_enables_and_resets_and_refusals_are_recorded(tmp_path):
    from docent.review.sessions import SessionRefused, Sessions
    from docent.review.users import UserStore
    from docent.settings import load_settings
    from docent.store.audit import AuditLog

    data = tmp_path / "data"
    run(["users", "add", "root", "--role", "admin", "--password-stdin"], data, "a long password\n")
    run(["users", "add", "rita", "--role", "reviewer", "--password-stdin"], data, "rita's password\n")
    url = f"sqlite:///{data / 'docent.db'}"
    users = UserStore(url)
    assert "rita is now analyst" in run(["users", "role", "rita", "analyst", "--as", "root"], data).stdout
    assert users.get("rita").role == Role.ANALYST
    run(["users", "disable", "rita", "--as", "root"], data)
    assert users.get("rita").disabled
    run(["users", "enable", "rita", "--as", "root"], data)
    sessions = Sessions.for_settings(load_settings(data_dir=data))
    token = sessions.open(users.get("rita"))
    run(["users", "password", "rita", "--password-stdin", "--as", "root"], data, "a new password\n")
    assert users.authenticate("rita", "a new password") is not None
    with pytest.raises(SessionRefused, match="signed out"):  # a reset password ends the open sessions
        sessions.principal(token)
    for args, message in ((["users", "role", "rita", "boss", "--as", "root"], "unknown role 'boss'"),
                          (["users", "disable", "root", "--as", "rita"], "needs the admin role")):
        proc = run(args, data, check=False)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    refusals = [(r.action, r.detail) for r in AuditLog(url).recent() if r.action == "manage_users"]
    assert len(refusals) == 2 and "boss" in refusals[1][1] and "admin role" in refusals[0][1]


def test_keys_are_made_shown_once_listed_without_the_key_and_revoked(tmp_path):
    from docent.review.api_keys import ApiKeys, KeyRefused

    data = tmp_path / "data"
    run(["users", "add", "root", "--role", "admin", "--password-stdin"], data, "a long password\n")
    for member in ("mo", "lea"):
        run(["users", "add", member, "--role", "member", "--password-stdin"], data, f"{member}'s password\n")
    made = run(["keys", "create", "mo", "--name", "slack bot", "--expires", "30", "--as", "root"], data).stdout
    key = made.strip().splitlines()[-1]
    keys = ApiKeys(f"sqlite:///{data / 'docent.db'}")
    assert keys.principal(key).username == "mo" and "not shown again" in made
    listed = run(["keys", "list", "mo", "--as", "root"], data).stdout
    prefix = key.split("_")[1]
    assert prefix in listed and "slack bot" in listed and "active" in listed and key not in listed
    assert prefix in run(["keys", "list", "--as", "mo"], data).stdout  # one's own keys
    for args, message in ((["keys", "create", "root", "--as", "mo"], "needs the admin role"),
                          (["keys", "create", "nobody", "--as", "root"], "no user 'nobody'"),
                          (["keys", "revoke", prefix, "--as", "lea"], "no live key")):
        proc = run(args, data, check=False)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert f"revoked key {prefix}" in run(["keys", "revoke", prefix, "--as", "mo"], data).stdout
    with pytest.raises(KeyRefused, match="revoked"):
        keys.principal(key)


def test_users_add_prompts_twice_for_a_hidden_password(tmp_path):
    proc = run(["users", "add", "ann", "--role", "analyst"], tmp_path / "data", "analyst pass\nanalyst pass\n")
    assert "Password:" in proc.stdout and "Repeat for confirmation:" in proc.stdout and "analyst pass" not in proc.stdout
    assert "added ann (analyst)" in proc.stdout


def test_golden_export(tmp_path):
    data, out = tmp_path / "data", tmp_path / "golden.jsonl"
    url = f"sqlite:///{data / 'docent.db'}"
    chat, queue = ChatStore(url), ReviewQueue(url)
    _, mid = chat.record_question(conversation_id=None, question="What is the hotel cap?", model="m", filters=None, user_id="asker-id")
    chat.transition(mid, "streaming")
    chat.finalize(mid, state="completed", content="180 euros [1].", citations=[{"n": 1, "chunk_id": "c1"}])
    item = queue.enqueue(mid, reason="always", held=True, question="What is the hotel cap?", answer="180 euros [1].",
                         model="m", index_version="v1")
    reviewer = Principal(id="1", username="rita", role=Role.REVIEWER, disabled=False)
    queue.claim(item, reviewer)
    queue.approve(item, reviewer)
    shown = run(["golden", "export", str(out)], data).stdout
    assert "wrote 1 positive items" in shown and "version 1" in shown
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["question"], row["reference_chunk_ids"], row["provenance"]["reviewer"]) == ("What is the hotel cap?",
                                                                                           ["c1"], "rita")
    assert "wrote 0 negative items" in run(["golden", "export", str(out), "--kind", "negative"], data).stdout
    bad = run(["golden", "export", str(out), "--kind", "neutral"], data, check=False)
    assert bad.returncode == 2 and "unknown kind" in bad.stderr
    assert "wrote 0 positive items of golden set 'other' (version 0)" in run(
        ["golden", "export", str(out), "--set", "other"], data).stdout.replace("\n", " ")
