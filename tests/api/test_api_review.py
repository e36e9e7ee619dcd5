"""The review queue and the evaluation runs over HTTP: who may read and decide, the claim → decision flow,
races between reviewers, and what a decision feeds (the curated answer, the golden set)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_http_api import asked, events, recorded

pytestmark = pytest.mark.slow


def answered(client: httpx.Client, question: str) -> dict:
    """Ask, read the stream to its end, and wait for the answer's record (it carries the traces and sources)."""
    mine = asked(client, question)
    last = events(client, mine["stream_url"])[-1]
    assert last[1] == "final", last
    return recorded(client, mine["message_id"]) | {"final": last[2]}


def queued(api, client: httpx.Client, question: str) -> int:
    """A member's answer sent to review as their thumbs-down sends it (the core's ``send_to_review``)."""
    from docent.review.actions import send_to_review
    from docent.review.queue import ReviewQueue
    from docent.store.chat import ChatStore

    return send_to_review(ChatStore(api.state_url), ReviewQueue(api.state_url), answered(client, question)["id"])


@pytest.fixture(scope="module")
def people(api) -> dict[str, httpx.Client]:
    """A client per user: mo (member), alice and rita (reviewers), ann (analyst), root (admin), and nobody (no key)."""
    from docent.review.users import UserStore

    UserStore(api.state_url).add("rita", "password-rita", "reviewer")
    clients = {name: api.client(api.key(name)) for name in ("mo", "alice", "rita", "ann", "root")} | {"nobody": api.client()}
    yield clients
    for client in clients.values():
        client.close()


def test_every_route_answers_only_the_roles_it_serves_and_a_refusal_writes_nothing(api, people):
    item = queued(api, people["mo"], "Which office is the Lyon lab in?")
    reads = [("GET", "/v1/review/items"), ("GET", f"/v1/review/items/{item}")]
    decisions = [("POST", f"/v1/review/items/{item}/{verb}") for verb in ("claim", "release", "approve", "reject")]
    evaluation = [("GET", "/v1/eval/runs")]
    who_may = {"nobody": set(), "mo": set(), "alice": {*reads, *decisions}, "ann": {*reads, *evaluation},
               "root": {*reads, *evaluation}}  # only reviewers decide: admins and analysts read
    for name, may in who_may.items():
        for method, path in reads + decisions + evaluation:
            if (method, path) in may:
                continue
            response = people[name].request(method, path, json={"category": "wrong"} if path.endswith("reject") else None)
            assert response.status_code == (401 if name == "nobody" else 403), (name, path, response.text)
            assert response.json()["error"]["code"] == ("unauthorized" if name == "nobody" else "forbidden")
    untouched = people["alice"].get(f"/v1/review/items/{item}").json()
    assert (untouched["status"], untouched["claimed_by"], untouched["audit"]) == ("pending", None, [])
    for name in ("alice", "ann", "root"):
        assert people[name].get("/v1/review/items").status_code == 200
        assert people[name].get(f"/v1/review/items/{item}").status_code == 200
    for name in ("ann", "root"):
        assert people[name].get("/v1/eval/runs").status_code == 200
    assert people["alice"].post(f"/v1/review/items/{item}/claim").status_code == 200
    assert people["alice"].post(f"/v1/review/items/{item}/release").status_code == 200


def test_claim_then_approve_with_an_edit_serves_the_curated_answer_and_feeds_the_golden_set(api, people):
    from docent.review.golden import GoldenSets

    question = "What is the nightly hotel cap in New York?"
    item = queued(api, people["mo"], question)
    alice, rita = people["alice"], people["rita"]
    detail = alice.get(f"/v1/review/items/{item}").json()
    assert (detail["question"], detail["status"], detail["reason"]) == (question, "pending", "feedback")
    assert detail["sources"] and any(s["cited"] for s in detail["sources"]), detail
    assert {c["n"] for c in detail["citations"]} == {s["n"] for s in detail["sources"] if s["cited"]}
    listed = alice.get("/v1/review/items", params={"status": "pending", "limit": 200}).json()
    assert item in [i["id"] for i in listed["items"]] and listed["total"] >= 1
    assert len(alice.get("/v1/review/items", params={"limit": 1}).json()["items"]) == 1

    claimed = alice.post(f"/v1/review/items/{item}/claim")
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "alice"
    for verb, body in (("claim", None), ("approve", {}), ("release", None)):  # a second reviewer is told who holds it
        refused = rita.post(f"/v1/review/items/{item}/{verb}", json=body)
        assert refused.status_code == 409, (verb, refused.text)
        assert refused.json()["error"] == {"code": "conflict", "message": f"review item {item} is claimed by alice"}

    edited = detail["answer"] + " (Checked by a reviewer.)"
    approved = alice.post(f"/v1/review/items/{item}/approve", json={"edited_answer": edited})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["final_answer"], approved.json()["decided_by"]) == (
        "approved", edited, "alice")
    again = alice.post(f"/v1/review/items/{item}/approve")
    assert again.status_code == 409 and "already approved by alice" in again.json()["error"]["message"]
    assert [a["action"] for a in alice.get(f"/v1/review/items/{item}").json()["audit"]] == ["claim", "edit"]

    served = answered(people["mo"], question)["final"]  # the next asker gets the reviewed text
    assert (served["text"], served["approved"]) == (edited, True)
    golden = [g for g in GoldenSets(api.state_url).items("default", "positive") if g.question == question]
    assert [g.reference_answer for g in golden] == [edited]


def test_reject_release_and_refusals_that_leave_the_item_as_it_was(api, people):
    from docent.review.golden import GoldenSets

    question = "How do I book a meeting room?"
    item = queued(api, people["mo"], question)
    alice = people["alice"]
    assert alice.post(f"/v1/review/items/{item}/release").json()["error"]["message"] == (
        f"claim review item {item} first: you do not hold it")
    assert alice.post(f"/v1/review/items/{item}/reject", json={"category": "wrong"}).status_code == 409
    assert alice.post(f"/v1/review/items/{item}/claim").status_code == 200
    released = alice.post(f"/v1/review/items/{item}/release")
    assert released.status_code == 200 and released.json()["claimed_by"] is None
    assert alice.post(f"/v1/review/items/{item}/claim").status_code == 200

    for bad in ({"category": "rude"}, {}, {"category": "wrong", "note": "x" * 5000}, {"category": "wrong", "extra": 1}):
        response = alice.post(f"/v1/review/items/{item}/reject", json=bad)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid", (bad, response.text)
    blank = alice.post(f"/v1/review/items/{item}/approve", json={"edited_answer": "   "})
    assert blank.status_code == 400 and "cannot be empty" in blank.json()["error"]["message"]
    still = alice.get(f"/v1/review/items/{item}").json()
    assert (still["status"], still["claimed_by"]) == ("pending", "alice")

    rejected = alice.post(f"/v1/review/items/{item}/reject", json={"category": "unsupported", "note": "no source says so"})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["reject_category"], rejected.json()["reject_note"]) == (
        "rejected", "unsupported", "no source says so")
    assert [a["action"] for a in alice.get(f"/v1/review/items/{item}").json()["audit"]] == [
        "claim", "release", "claim", "reject"]
    negative = [g for g in GoldenSets(api.state_url).items("default", "negative") if g.question == question]
    assert [g.reason for g in negative] == ["unsupported: no source says so"]
    assert item in [i["id"] for i in alice.get("/v1/review/items", params={"status": "rejected"}).json()["items"]]


def test_unknown_review_items_are_404(people):
    alice = people["alice"]
    for method, path, body in (("GET", "/v1/review/items/987654", None), ("POST", "/v1/review/items/987654/claim", None),
                               ("POST", "/v1/review/items/987654/release", None),
                               ("POST", "/v1/review/items/987654/approve", None),
                               ("POST", "/v1/review/items/987654/reject", {"category": "wrong"})):
        response = alice.request(method, path, json=body)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == {"code": "not_found", "message": "no review item 987654"}
    assert alice.get("/v1/review/items/0").status_code == 422
    assert alice.get("/v1/review/items", params={"status": "lost"}).status_code == 422


def test_evaluation_runs_newest_first_with_their_headline_metrics(api, people):
    from docent.evaluate.results import EvalStore

    store = EvalStore(api.state_url)
    older = store.start("golden", model="local/extractive", index_version="v1", config={}, golden_set="default")
    store.finish(older, [], [], [], summary={"grounding": {"mean": 0.75, "n": 4, "missing": 0},
                                             "faithfulness": {"mean": float("nan"), "n": 0, "missing": 4}},
                 status="passed", findings=[], config={})
    newer = store.start("sample", model="local/extractive", index_version="v1", config={})
    runs = people["ann"].get("/v1/eval/runs").json()
    assert [r["id"] for r in runs][:2] == [newer, older]
    assert runs[0]["status"] == "running" and runs[0]["metrics"] == {}
    assert runs[1]["metrics"] == {"grounding": 0.75, "faithfulness": None}  # an undetermined mean is null, not NaN
    assert [r["id"] for r in people["root"].get("/v1/eval/runs", params={"suite": "golden", "limit": 1}).json()] == [older]
    assert people["ann"].get("/v1/eval/runs", params={"limit": 0}).status_code == 422
