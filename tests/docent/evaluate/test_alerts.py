"""Alerts as incidents: de-duplicated across raises and processes, a cool-down against flapping, and the
webhook sink (a real local HTTP receiver) hearing exactly once per incident."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from docent.alerts import Alerts, WebhookSink
from tests.concurrency import all_at_once


class Receiver:
    """A Slack-like incoming webhook on loopback that records every POST (or answers ``status``)."""

    def __init__(self, status: int = 200):
        self.posts: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(json.loads(body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_one_webhook_post_per_incident_and_occurrences_counted(state_url, receiver):
    alerts = Alerts(state_url, [WebhookSink(receiver.url)], cooldown_s=3600)
    first, new = alerts.raise_alert("eval-threshold", "sample evaluation", "grounding is 0.31", key="eval:sample:threshold:grounding",
                                    details={"metric": "grounding", "value": 0.31})
    assert new and first.delivery == {"log": "sent", "webhook": "sent"}
    for _ in range(3):
        again, new = alerts.raise_alert("eval-threshold", "sample evaluation", "grounding is 0.29", key="eval:sample:threshold:grounding")
        assert not new
    assert again.id == first.id and again.occurrences == 4 and again.message == "grounding is 0.29"
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert "grounding is 0.31" in post["text"] and post["blocks"][0]["type"] == "section"
    assert len(alerts.recent(status="open")) == 1


def test_resolution_then_recurrence_within_the_cool_down_reopens_quietly(state_url, receiver):
    alerts = Alerts(state_url, [WebhookSink(receiver.url)], cooldown_s=600)
    t0 = datetime.now(timezone.utc)
    alert, _ = alerts.raise_alert("k", "s", "down", key="x", now=t0)
    assert alerts.resolve("x", now=t0 + timedelta(minutes=1))
    assert not alerts.resolve("x")  # nothing open any more
    again, new = alerts.raise_alert("k", "s", "down again", key="x", now=t0 + timedelta(minutes=5))
    assert not new and again.id == alert.id and again.status == "open"
    alerts.resolve("x", now=t0 + timedelta(minutes=6))
    later, new = alerts.raise_alert("k", "s", "down once more", key="x", now=t0 + timedelta(minutes=30))
    assert new and later.id != alert.id  # past the cool-down: a new incident, announced again
    assert len(receiver.posts) == 2


def test_a_failing_webhook_keeps_the_alert_and_says_why(state_url):
    broken = Receiver(status=500)
    try:
        alert, new = Alerts(state_url, [WebhookSink(broken.url, retries=1)]).raise_alert("k", "s", "m")
    finally:
        broken.close()
    assert new and alert.status == "open"
    assert alert.delivery["log"] == "sent" and alert.delivery["webhook"].startswith("failed: HTTP 500")
    assert len(broken.posts) == 2  # one retry


def test_concurrent_raises_of_one_key_make_one_incident(state_url, receiver):
    alerts = Alerts(state_url, [WebhookSink(receiver.url)])
    results = all_at_once(lambda _: alerts.raise_alert("k", "s", "m", key="race")[1], range(8))
    assert results.count(True) == 1 and len(receiver.posts) == 1
    assert alerts.recent()[0].occurrences == 8
