"""An incident, and where a new one is announced: the log (always) and a Slack-compatible webhook (when configured)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

log = logging.getLogger("docent.alerts")

ICONS = {"critical": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:", "info": ":information_source:"}


@dataclass(frozen=True)
class Alert:
    id: int
    created_at: datetime
    kind: str
    severity: str
    source: str
    message: str
    key: str | None
    status: str
    occurrences: int
    last_seen_at: datetime | None
    resolved_at: datetime | None
    details: dict | None
    delivery: dict | None
    open_key: str | None = None


class Sink(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


class LogSink:
    name = "log"

    def send(self, alert: Alert) -> None:
        level = logging.WARNING if alert.severity in ("warning", "info") else logging.ERROR
        log.log(level, "%s alert from %s: %s", alert.kind, alert.source, alert.message)


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack's incoming-webhook JSON (``text`` for notifications, ``blocks`` for the message); Mattermost and
    Rocket.Chat accept the same."""
    title = f"{ICONS.get(alert.severity, '')} [{alert.severity}] {alert.kind}: {alert.message}".strip()
    facts = [f"*source* {alert.source}", f"*key* `{alert.key}`", f"*at* {alert.created_at:%Y-%m-%d %H:%M} UTC"]
    facts += [f"*{k}* {v}" for k, v in (alert.details or {}).items() if isinstance(v, (str, int, float))]
    return {
        "text": title,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": title}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f} for f in facts[:10]]},
        ],
    }


class WebhookSink:
    """POSTs :func:`slack_payload`; a non-2xx answer or a network error after ``retries`` raises."""

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 5.0, retries: int = 2):
        self.url, self.timeout_s, self.retries = url, timeout_s, retries

    def send(self, alert: Alert) -> None:
        payload = slack_payload(alert)
        for attempt in range(self.retries + 1):
            try:
                response = httpx.post(self.url, json=payload, timeout=self.timeout_s)
                if response.status_code < 500:
                    response.raise_for_status()
                    return
                problem: Exception = httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request,
                                                           response=response)
            except httpx.TransportError as exc:
                problem = exc
            log.warning("webhook attempt %d failed: %s", attempt + 1, problem)
        raise problem
