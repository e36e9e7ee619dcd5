"""Alerts: incidents an operator must hear about (a blocked mass deletion, a quality drop, a silent evaluator)."""

from docent.alerts.sinks import Alert, LogSink, Sink, WebhookSink, slack_payload
from docent.alerts.store import Alerts, alerts

__all__ = ["Alert", "Alerts", "LogSink", "Sink", "WebhookSink", "alerts", "slack_payload"]
