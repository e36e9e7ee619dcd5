"""The evaluation flows as Prefect runs them: a healthy cycle raises nothing, a broken retriever raises an
alert within one cycle (and the webhook hears of it once however long it lasts), a golden run that did not pass
(a missed gate, or not enough data to judge it) fails the run, and each run publishes its report as artifacts."""

from __future__ import annotations

import asyncio

import pytest

from docent.chat.service import ChatService
from docent.index.base import SearchHit
from tests.docent.evaluate.test_alerts import Receiver
from tests.principals import ASKER

QUESTIONS = [
    "How many weeks of parental leave does the secondary caregiver get?",
    "What is the hotel cap in New York?",
    "How long must passwords be?",
    "When is the IT helpdesk staffed?",
    "What does a replacement badge cost?",
    "When did the Lyon lab open?",
]


class BrokenRetriever:
    """A deliberately broken retriever: whatever is asked, it returns chunks about something else."""

    def __init__(self, real):
        self.real = real.current() if hasattr(real, "current") else real
        self.version, self.settings, self.embedder, self.index = (self.real.version, self.real.settings, self.real.embedder,
                                                                   self.real.index)

    def search(self, query: str, **kwargs) -> list[SearchHit]:
        kwargs.pop("vector", None)
        return self.real.search("office locations staff numbers spreadsheet", **kwargs)


def serve_traffic(ws, retriever=None) -> None:
    service = ChatService.from_workspace(ws, answer_cache=None, **({"retriever": retriever(ws.retriever)} if retriever else {}))

    async def ask_all():
        for q in QUESTIONS:
            async for _ in service.ask(ASKER, q):
                pass

    asyncio.run(ask_all())
    service.close()


@pytest.fixture
def webhook(monkeypatch):
    receiver = Receiver()
    monkeypatch.setenv("DOCENT_ALERTS__WEBHOOK_URL", receiver.url)
    yield receiver
    receiver.close()


def test_healthy_then_broken_retriever_alerts_within_one_cycle_once(prefect_api, installation, webhook):
    from flows.continuous_eval import continuous_eval

    serve_traffic(installation)
    healthy = continuous_eval(seed=1)
    assert healthy["status"] == "passed" and healthy["answers"] == len(QUESTIONS), healthy
    assert healthy["alerts_opened"] == 0 and webhook.posts == []

    serve_traffic(installation, BrokenRetriever)
    broken = continuous_eval(seed=1)
    assert broken["status"] == "failed" and broken["alerts_opened"] >= 1, broken
    assert broken["answers"] == len(QUESTIONS)  # only the new answers: none is scored twice
    incidents = {a.key for a in installation.alerts.recent(status="open")}
    assert "eval:sample:threshold:answered" in incidents or "eval:sample:threshold:grounding" in incidents, incidents
    posts = len(webhook.posts)
    assert posts == len(incidents)

    serve_traffic(installation, BrokenRetriever)  # still broken next cycle: the same incidents, no new posts
    again = continuous_eval(seed=1)
    assert again["status"] == "failed" and again["alerts_opened"] == 0
    assert len(webhook.posts) == posts

    serve_traffic(installation)  # fixed: the incidents resolve
    fixed = continuous_eval(seed=1)
    assert fixed["status"] == "passed"
    assert not [a for a in installation.alerts.recent(status="open") if a.key.startswith("eval:sample:threshold")]


def test_the_run_publishes_its_metrics_and_worst_answers(prefect_api, installation):
    from prefect.artifacts import Artifact

    from flows.continuous_eval import continuous_eval

    serve_traffic(installation)
    result = continuous_eval(seed=2)
    table = Artifact.get("sample-evaluation")
    assert table is not None and result["run_id"][:8] in table.description
    assert '"metric": "grounding"' in table.data
    worst = Artifact.get("sample-evaluation-worst")
    assert worst is not None and any(q[:30] in worst.data for q in QUESTIONS)


def test_a_missed_golden_gate_fails_the_flow_run(prefect_api, installation, tmp_path):
    from flows.golden_eval import golden_eval

    passing = tmp_path / "pass.jsonl"
    passing.write_text('{"id": "q1", "question": "How long must passwords be?", "reference_answer": "Passwords must be at least 14 characters long.",'
                       ' "reference_contexts": ["Passwords must be at least 14 characters long"]}\n')
    ok = golden_eval(golden=str(passing), return_state=True)
    assert ok.is_completed() and ok.result()["status"] == "passed"

    impossible = tmp_path / "fail.jsonl"  # evidence the index does not hold: recall 0, below the gate
    impossible.write_text('{"id": "q1", "question": "What is the price of a Porter P9 robot?", "reference_answer": "$1M.",'
                          ' "reference_contexts": ["The Porter P9 robot costs one million dollars per unit"]}\n')
    missed = golden_eval(golden=str(impossible), return_state=True)
    assert missed.is_failed() and "gate was missed" in missed.message


def test_a_golden_gate_with_not_enough_data_fails_the_flow_run_as_such(prefect_api, installation, tmp_path, monkeypatch):
    from flows.golden_eval import golden_eval

    monkeypatch.setenv("DOCENT_EVALUATION__GATE", '{"faithfulness": 0.8}')  # a judge metric, and no judge: unmeasured
    golden = tmp_path / "pass.jsonl"
    golden.write_text('{"id": "q1", "question": "How long must passwords be?", "reference_answer": "Passwords must be at least 14 characters long.",'
                      ' "reference_contexts": ["Passwords must be at least 14 characters long"]}\n')
    state = golden_eval(golden=str(golden), return_state=True)
    assert state.is_failed() and state.name == "NotEnoughData", state
    assert "not enough data to judge the golden-set gate" in state.message
    assert "none of the threshold metrics (faithfulness) was measured" in state.message


def test_a_run_short_of_data_says_not_enough_data_in_its_artifacts_and_alerts_nothing(prefect_api, installation, monkeypatch):
    from prefect.artifacts import Artifact

    from flows.continuous_eval import continuous_eval

    monkeypatch.setenv("DOCENT_EVALUATION__MIN_SAMPLES", "20")  # the six answers below: too few to judge
    serve_traffic(installation)
    result = continuous_eval(seed=3)
    assert result["status"] == "not_enough_data" and result["findings"] == [] and result["alerts_opened"] == 0, result
    assert f"{result['run_id'][:8]}: not enough data, 6 answers" in Artifact.get("sample-evaluation").description
    note = Artifact.get("sample-evaluation-not-enough-data")
    assert note is not None and "**not enough data**: neither passed nor failed" in note.data
    assert "grounding was determined for 6 of 6 answers: not enough to judge" in note.data
    assert not installation.alerts.recent(status="open")
