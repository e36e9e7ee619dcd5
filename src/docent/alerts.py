"""Alerts: things an operator must hear about (a blocked mass deletion, later quality drops).

Stored in the state store so every process (sensor, app, evaluation flows) sees the same list,
and logged. Sinks, de-duplication windows and the dashboard come with the evaluation work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from docent.store.db import engine_for, metadata

log = logging.getLogger("docent.alerts")

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
)


@dataclass(frozen=True)
class Alert:
    id: int
    created_at: datetime
    kind: str
    severity: str
    source: str
    message: str


class Alerts:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def raise_alert(self, kind: str, source: str, message: str, severity: str = "error") -> None:
        log.error("%s alert from %s: %s", kind, source, message)
        with self._engine.begin() as conn:
            conn.execute(
                alerts.insert().values(
                    created_at=datetime.now(timezone.utc), kind=kind, severity=severity, source=source, message=message
                )
            )

    def recent(self, limit: int = 50) -> list[Alert]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(alerts).order_by(alerts.c.id.desc()).limit(limit)).mappings().all()
        return [Alert(**r) for r in rows]
