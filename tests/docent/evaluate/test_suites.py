"""Both suites end to end over the sample index, on SQLite and Postgres: a production answer is scored once,
risky ones are always taken, golden references give reference metrics, and the heartbeat notices silence."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from docent.chat.service import ChatService
from docent.evaluate.alerting import HEARTBEAT_KEY, check_heartbeat
from docent.evaluate.results import EvalStore
from docent.evaluate.suites import run_golden, run_sample
from docent.review.feedback import FeedbackStore
from docent.review.golden import GoldenSets
from docent.settings import load_settings
from docent.workspace import Workspace
from tests.principals import ASKER

QUESTIONS = ["How many weeks of parental leave does the secondary caregiver get?", "What is the hotel cap in New York?",
             "How long must passwords be?", "What does a replacement badge cost?"]


@pytest.fixture
def ws(acme_ws, state_url):
    ws = Workspace(load_settings(data_dir=acme_ws.settings.data_dir, state={"url": state_url}, cache={"answers": False},
                                 embedding={"backend": "torch", "batch_size": 32}, evaluation={"min_samples": 2}))
    yield ws
    ws.close()


def ask(ws, questions) -> list[str]:
    service = ChatService.from_workspace(ws, answer_cache=None)

    async def run():
        ids = []
        for q in questions:
            async for event in service.ask(ASKER, q):
                ids.append(event.message_id)
        return list(dict.fromkeys(ids))

    ids = asyncio.run(run())
    service.close()
    return ids


def test_each_answer_is_scored_once_and_risky_ones_first(ws):
    url = ws.settings.state_url
    ids = ask(ws, QUESTIONS)
    FeedbackStore(url).record(ids[2], "bob", -1)
    GoldenSets(url).add(set_name="default", kind="positive", question=QUESTIONS[0], reference_answer="The secondary caregiver gets 8 weeks of fully paid parental leave.",
                        reference_chunk_ids=[], provenance={"source": "test"})
    ws.settings.evaluation.sample_rate = 0.0
    risky = run_sample(ws, seed=1)
    store = EvalStore(url)
    first = store.scores([risky.id])
    assert list(first["message_id"]) == [ids[2]] and list(first["reasons"]) == [["thumbs_down"]]

    ws.settings.evaluation.sample_rate = 1.0
    rest = run_sample(ws, seed=1)
    scored = store.scores([rest.id]).set_index("message_id")
    assert set(scored.index) == {ids[0], ids[1], ids[3]}  # the thumbs-down one is not scored twice
    assert scored.loc[ids[0], "semantic_similarity"] > 0.5 and scored.loc[ids[0], "reference"].startswith("The secondary caregiver")
    assert scored["semantic_similarity"].isna().sum() == 2  # no reference for the others
    assert rest.summary["grounding"]["n"] == 3
    assert rest.summary["error_rate"] == {"mean": 0.0, "n": 4, "missing": 0}  # over the whole window, not the sample
    assert rest.config["metric_versions"]["semantic_similarity"].startswith("ragas-")
    assert run_sample(ws, seed=1).n_items == 0


def test_a_golden_run_records_what_it_ran_on(ws, tmp_path):
    golden = tmp_path / "g.jsonl"
    golden.write_text('{"id": "pw", "question": "How long must passwords be?", "reference_answer": "Passwords must be at least 14 characters long.",'
                      ' "reference_contexts": ["Passwords must be at least 14 characters long"]}\n')
    run = run_golden(ws, str(golden))
    assert run.status == "passed" and run.n_items == 1 and run.golden_version and run.index_version == ws.version
    assert run.summary["recall@k"]["mean"] == 1.0
    with pytest.raises(Exception, match="no such file"):
        run_golden(ws, str(tmp_path / "missing.jsonl"))


def test_the_heartbeat_alerts_on_silence_and_resolves_when_runs_resume(ws):
    url, now = ws.settings.state_url, datetime.now(timezone.utc)
    evals = EvalStore(url)
    assert check_heartbeat(ws.alerts, evals, 3600, now) is None  # a new installation: nothing to say
    ask(ws, QUESTIONS[:1])
    assert check_heartbeat(ws.alerts, evals, 3600, now + timedelta(minutes=30)) is None  # answers, but not for long yet
    late = check_heartbeat(ws.alerts, evals, 3600, now + timedelta(hours=3))  # served for hours, never evaluated
    assert late is not None and "ever, though answers have been served" in late.message
    run_sample(ws)
    assert check_heartbeat(ws.alerts, evals, 3600, now + timedelta(minutes=10)) is None
    assert not [a for a in ws.alerts.recent(status="open") if a.key == HEARTBEAT_KEY]
    stale = check_heartbeat(ws.alerts, evals, 3600, now + timedelta(hours=2))
    assert stale is not None and "since" in stale.message
