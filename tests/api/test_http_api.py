"""The HTTP API as another program uses it: API keys, the command → SSE stream split, ownership, errors."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from httpx_sse import connect_sse

from tests.principals import ADMIN

pytestmark = pytest.mark.slow
QUESTION = "How many weeks of parental leave does the secondary caregiver get?"
ROUTES = [("POST", "/v1/messages"), ("GET", "/v1/messages/x"), ("GET", "/v1/messages/x/events"),
          ("POST", "/v1/messages/x/cancel"), ("GET", "/v1/conversations"), ("GET", "/v1/conversations/x"),
          ("GET", "/v1/search?q=leave"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models"),
          ("POST", "/v1/messages/x/feedback"), ("GET", "/v1/review/items"), ("GET", "/v1/review/items/1"),
          *[("POST", f"/v1/review/items/1/{verb}") for verb in ("claim", "release", "approve", "reject")],
          ("GET", "/v1/documents"), ("POST", "/v1/documents"), ("GET", "/v1/eval/runs"), ("GET", "/v1/usage")]


def events(client: httpx.Client, url: str) -> list[tuple[str, str, dict]]:
    with connect_sse(client, "GET", url) as source:
        assert source.response.status_code == 200
        return [(e.id, e.event, json.loads(e.data)) for e in source.iter_sse()]


def recorded(client: httpx.Client, message_id: str, timeout_s: float = 30) -> dict:
    """The answer once the background finalizer has written it (the stream ends before the write lands)."""
    deadline = time.monotonic() + timeout_s
    while (message := client.get(f"/v1/messages/{message_id}").json())["state"] not in ("completed", "cancelled", "failed"):
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
    return message


def asked(client: httpx.Client, question: str = QUESTION, **extra) -> dict:
    response = client.post("/v1/messages", json={"question": question, **extra})
    assert response.status_code == 202, response.text
    return response.json()


def test_every_route_refuses_a_missing_forged_or_revoked_key_and_a_disabled_owner(api):
    import sqlalchemy as sa

    from docent.review.api_keys import ApiKeys
    from docent.review.users import UserStore
    from docent.store.audit import AuditLog
    from docent.store.db import engine_for

    revoked, disabled, expired = api.key("mo"), api.key("ann"), api.key("bo")
    ApiKeys(api.state_url).revoke(ADMIN, revoked.split("_")[1])
    UserStore(api.state_url).disable(ADMIN, "ann")
    with engine_for(api.state_url).begin() as conn:  # a key whose lifetime ran out yesterday
        conn.execute(sa.text("UPDATE api_keys SET expires_at = :t WHERE prefix = :p"),
                     {"t": datetime.now(timezone.utc) - timedelta(days=1), "p": expired.split("_")[1]})
    for credential, says in ((None, "send an API key"), ("dk_abcdefgh_" + "x" * 43, "invalid API key"),
                             ("Basic bW86cGFzcw==", "send an API key"), (revoked, "revoked"), (disabled, "disabled"),
                             (expired, "expired")):
        headers = {"Authorization": credential if credential and credential.startswith("Basic") else f"Bearer {credential}"}
        for method, path in ROUTES:
            response = httpx.request(method, api.url + path, headers=headers if credential else {}, json={},
                                     trust_env=False)
            assert response.status_code == 401, (credential, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert says in response.json()["error"]["message"]
    assert {"forged", "revoked", "disabled", "expired"} <= {r.reason for r in AuditLog(api.state_url).recent(300)}
    UserStore(api.state_url).enable(ADMIN, "ann")


@pytest.mark.parametrize("username", ["mo", "alice", "ann", "root"])  # member, reviewer, analyst, admin
def test_every_role_may_use_every_route_on_its_own_answers(api, username):
    with api.client(api.key(username)) as client:
        mine = asked(client, "How many weeks of parental leave?")
        assert [e for _, e, _ in events(client, mine["stream_url"])][-1] == "final"
        for path in (f"/v1/messages/{mine['message_id']}", "/v1/conversations", f"/v1/conversations/{mine['conversation_id']}",
                     "/v1/search?q=leave", "/v1/models"):
            assert client.get(path).status_code == 200, path
        assert client.post(f"/v1/messages/{mine['message_id']}/cancel").status_code == 202
        vote = client.post(f"/v1/messages/{mine['message_id']}/feedback", json={"rating": -1, "comment": "too short"})
        assert vote.status_code == 200 and isinstance(vote.json()["review_item_id"], int)  # a thumbs-down: to review
        assert client.post(f"/v1/messages/{mine['message_id']}/feedback", json={"rating": 1}).json() == {
            "review_item_id": None}
        assert client.post(f"/v1/messages/{mine['message_id']}/feedback", json={"rating": 0}).status_code == 422
        done = client.post("/v1/chat/completions", json={"model": "docent", "messages": [{"role": "user", "content": "Hotel cap?"}]})
        assert done.status_code == 200 and done.json()["choices"][0]["message"]["content"]


def test_a_question_is_a_command_then_a_server_sent_event_stream_then_a_replay(api):
    with api.client(api.key("mo")) as client:
        accepted = asked(client)
        assert accepted["stream_url"] == f"/v1/messages/{accepted['message_id']}/events"
        live = events(client, accepted["stream_url"])
        kinds = [kind for _, kind, _ in live]
        assert kinds[0] == "sources" and kinds[-1] == "final" and "token" in kinds, kinds
        assert [i for i, _, _ in live] == [f"{accepted['message_id']}:{n}" for n in range(1, len(live) + 1)]
        final = live[-1][2]
        assert "8 weeks" in final["text"] and final["state"] == "completed" and final["citations"]
        streamed = "".join(data["text"] for _, kind, data in live if kind == "token")
        assert "8 weeks" in streamed
        message = recorded(client, accepted["message_id"])
        assert (message["state"], message["text"]) == ("completed", final["text"])
        assert events(client, accepted["stream_url"]) == live  # read again (within api.replay_s): the same events
        follow_up = asked(client, "And the primary caregiver?", conversation_id=accepted["conversation_id"])
        assert follow_up["conversation_id"] == accepted["conversation_id"]
        assert events(client, follow_up["stream_url"])[-1][1] == "final"
        (conversation,) = [c for c in client.get("/v1/conversations").json() if c["id"] == accepted["conversation_id"]]
        messages = client.get(f"/v1/conversations/{conversation['id']}").json()
        assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
        assert client.post(f"/v1/messages/{accepted['message_id']}/cancel").json() == {"cancelled": False}


def test_another_persons_ids_read_as_missing_and_lists_are_ones_own(api):
    with api.client(api.key("mo")) as mo, api.client(api.key("bo")) as bo:
        theirs = asked(mo, "What is the hotel cap in New York?")
        events(mo, theirs["stream_url"])
        recorded(mo, theirs["message_id"])
        before = mo.get("/v1/conversations").json()
        for method, path, body in (("GET", f"/v1/messages/{theirs['message_id']}", None),
                                   ("GET", theirs["stream_url"], None),
                                   ("POST", f"/v1/messages/{theirs['message_id']}/cancel", None),
                                   ("POST", f"/v1/messages/{theirs['message_id']}/feedback", {"rating": -1}),
                                   ("GET", f"/v1/conversations/{theirs['conversation_id']}", None),
                                   ("POST", "/v1/messages", {"question": "More?", "conversation_id": theirs["conversation_id"]})):
            response = bo.request(method, path, json=body)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["code"] == "not_found" and "no " in response.json()["error"]["message"]
        assert theirs["conversation_id"] not in [c["id"] for c in bo.get("/v1/conversations").json()]
        assert mo.get("/v1/conversations").json() == before  # nothing was written for the refusals


def test_bad_requests_get_a_4xx_with_a_message_and_nothing_is_written(api):
    with api.client(api.key("bo")) as client:
        before = client.get("/v1/conversations").json()
        for body, status, says in ((b"{not json", 422, "JSON"), ({"question": 5}, 422, "question"),
                                   ({"question": "x", "bogus": 1}, 422, "bogus"), ({}, 422, "question"),
                                   ({"question": "x" * 20_001}, 422, "question"), ({"question": "a\x00b"}, 400, "control"),
                                   ({"question": "   "}, 400, "empty"), ({"question": "x", "filters": {"nope": 1}}, 400, "nope")):
            kwargs = {"content": body, "headers": {"content-type": "application/json"}} if isinstance(body, bytes) else {"json": body}
            response = client.post("/v1/messages", **kwargs)
            assert response.status_code == status, (body, response.text)
            assert says in response.json()["error"]["message"], response.text
        assert client.get("/v1/conversations").json() == before


def test_every_response_carries_a_request_id_and_the_schema_is_published(api):
    with api.client() as client:
        assert client.get("/v1/conversations", headers={"X-Request-ID": "trace-42"}).headers["x-request-id"] == "trace-42"
        assert len(client.get("/v1/conversations").headers["x-request-id"]) == 32
        schema = client.get("/openapi.json").json()
        assert {"/v1/messages", "/v1/messages/{message_id}/events", "/v1/conversations"} <= set(schema["paths"])
        assert client.get("/docs").status_code == 200


def test_a_reader_that_drops_resumes_with_last_event_id_and_one_that_leaves_cancels(slow_api, fake_llm):
    with slow_api.client(slow_api.key("mo")) as client:
        accepted = asked(client, "What is the hotel cap in New York?")
        seen = []
        with connect_sse(client, "GET", accepted["stream_url"]) as source:  # read a few tokens, then drop
            for event in source.iter_sse():
                seen.append((event.id, event.event, json.loads(event.data)))
                if len(seen) == 6:
                    break
        with pytest.raises(httpx.HTTPStatusError) as stale:  # an id of another answer
            with connect_sse(client, "GET", accepted["stream_url"], headers={"Last-Event-ID": "other:3"}) as source:
                source.response.raise_for_status()
        assert stale.value.response.status_code == 400
        rest = []
        with connect_sse(client, "GET", accepted["stream_url"], headers={"Last-Event-ID": seen[-1][0]}) as source:
            rest = [(e.id, e.event, json.loads(e.data)) for e in source.iter_sse()]
        events_ = seen + rest
        numbers = [int(i.rsplit(":", 1)[1]) for i, _, _ in events_]
        assert numbers == list(range(1, len(events_) + 1))  # nothing lost, nothing twice
        text = "".join(d["text"] for _, kind, d in events_ if kind == "token")
        assert events_[-1][1] == "final" and events_[-1][2]["text"].startswith(text.strip()[:40])

        left = asked(client, "Who leads the Lyon lab?")
        with connect_sse(client, "GET", left["stream_url"]) as source:
            next(source.iter_sse())  # the sources: the answer is streaming; then the reader leaves for good
        message = recorded(client, left["message_id"])
        assert message["state"] == "cancelled", message  # after api.disconnect_grace_s (1 s here)
        (replayed,) = events(client, left["stream_url"])  # forgotten at once here (api.replay_s 0): from the store
        assert replayed[1:] == ("final", replayed[2]) and replayed[2]["state"] == "cancelled"
        run = [r for r in fake_llm.requests(run="api-slow") if r["disconnected_at"]]
        assert run, "the model's connection was never closed"


def test_the_official_openai_client_asks_streamed_and_not_with_history(api):
    import openai

    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key=api.key("mo"), http_client=httpx.Client(trust_env=False))
    assert [m.id for m in client.models.list()][0] == "docent"  # then docent/<version> per built index version
    fresh = "How many weeks of leave does the birthing parent get?"  # asked nowhere else: no answer cache
    whole = client.chat.completions.create(model="docent", messages=[{"role": "user", "content": fresh}])
    assert "16 weeks" in whole.choices[0].message.content and whole.choices[0].finish_reason == "stop"
    assert whole.usage.completion_tokens > 0 and whole.usage.total_tokens > whole.usage.completion_tokens
    extension = whole.model_extra["docent"]
    assert extension["citations"][0]["n"] == 1 and extension["state"] == "completed" and not extension["cache_hit"]
    answer = client.chat.completions.create(model="docent", messages=[{"role": "user", "content": QUESTION}])
    answer = answer.choices[0].message.content
    assert "8 weeks" in answer and "[1]" in answer

    turns = [{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION},
             {"role": "assistant", "content": answer}, {"role": "user", "content": "And the primary caregiver?"}]
    chunks = list(client.chat.completions.create(model="docent", messages=turns, stream=True,
                                                 stream_options={"include_usage": True}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1 and finals[0].model_extra["docent"]["citations"]
    assert "primary" in streamed.lower() or "16 weeks" in streamed, streamed  # the history made it a follow-up
    assert chunks[-1].usage is not None and not chunks[-1].choices  # the usage chunk (include_usage)
    assert (chunks[-1].usage.completion_tokens > 0) != finals[0].model_extra["docent"]["cache_hit"]

    with pytest.raises(openai.NotFoundError, match="no model"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        client.chat.completions.create(model="docent", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{api.url}/v1", api_key="dk_wrong", http_client=httpx.Client(trust_env=False)).models.list()


def test_search_finds_the_passage_in_every_mode_and_refuses_bad_queries(api):
    with api.client(api.key("bo")) as client:
        for mode in ("hybrid", "dense", "bm25"):
            hits = client.get("/v1/search", params={"q": "hotel cap New York", "k": 3, "mode": mode}).json()
            assert len(hits) == 3 and "$325" in hits[0]["text"], (mode, hits[:1])
        doc = hits[0]["doc_id"]
        only = client.get("/v1/search", params={"q": "weeks of leave", "doc_id": doc}).json()
        assert only and {h["doc_id"] for h in only} == {doc}
        for params, status in (({"q": ""}, 422), ({"q": "   "}, 400), ({"q": "x", "k": 0}, 422), ({"q": "x", "k": 101}, 422),
                               ({"q": "x", "mode": "fuzzy"}, 422), ({}, 422)):
            response = client.get("/v1/search", params=params)
            assert response.status_code == status, (params, response.text)
            assert response.json()["error"]["message"]
