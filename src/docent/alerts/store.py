"""The alerts table, read as incidents: one open row per key, de-duplicated, with a cool-down.

Every process (the Dagster sensor, the evaluation flows, the app) shares the table, so an incident
raised by one is not raised again by another. A row is *open* until :meth:`Alerts.resolve`; raising
the same key again meanwhile only counts another occurrence. An incident that comes back within
``cooldown_s`` of being resolved reopens its old row silently (a flapping metric pages once).
Only a new incident reaches the sinks (the log always, a webhook when configured).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from docent.alerts.sinks import Alert, LogSink, Sink
from docent.store.db import engine_for, metadata
from docent.store.records import utc_now

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
    sa.Column("key", sa.String(200)),  # what makes two raises the same incident
    sa.Column("open_key", sa.String(200)),  # = key while open: one open row per key, even across processes
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),  # open | resolved
    sa.Column("occurrences", sa.Integer, nullable=False, server_default="1"),
    sa.Column("last_seen_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("details", sa.JSON),  # the figures behind it: metric, value, threshold, baseline, run id
    sa.Column("delivery", sa.JSON),  # sink name -> "sent" or why it failed
    sa.Index("ix_alerts_key", "key"),
    sa.UniqueConstraint("open_key", name="uq_alerts_open_key"),
)


class Alerts:
    def __init__(self, url: str, sinks: Sequence[Sink] = (), cooldown_s: float = 3600):
        self._engine = engine_for(url)
        self.sinks: list[Sink] = [LogSink(), *sinks]
        self.cooldown = timedelta(seconds=cooldown_s)

    def raise_alert(
        self,
        kind: str,
        source: str,
        message: str,
        severity: str = "error",
        key: str | None = None,
        details: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> tuple[Alert, bool]:
        """Record an occurrence of incident ``key`` (default ``kind:source``); True when it is a new incident."""
        key = key or f"{kind}:{source}"[:200]
        now = now or utc_now()
        seen = dict(last_seen_at=now, message=message, details=details, occurrences=alerts.c.occurrences + 1)
        for _ in range(3):  # a racing process may open the same key between our read and our insert
            try:
                with self._engine.begin() as conn:
                    if conn.execute(alerts.update().where(alerts.c.open_key == key).values(**seen)).rowcount:
                        return self._get(conn, key), False
                    recent = conn.execute(
                        sa.select(alerts.c.id).where(alerts.c.key == key, alerts.c.resolved_at > now - self.cooldown)
                        .order_by(alerts.c.id.desc()).limit(1)
                    ).scalar()
                    if recent is not None:  # back within the cool-down: the same incident, reopened quietly
                        conn.execute(alerts.update().where(alerts.c.id == recent).values(
                            **seen, status="open", open_key=key, resolved_at=None))
                        return self._get(conn, key), False
                    conn.execute(alerts.insert().values(
                        created_at=now, kind=kind, severity=severity, source=source, message=message, key=key,
                        open_key=key, status="open", occurrences=1, last_seen_at=now, details=details))
                    alert = self._get(conn, key)
                break
            except sa.exc.IntegrityError:
                continue
        else:
            raise RuntimeError(f"could not record alert {key!r}: the open incident kept changing")
        self._deliver(alert)
        return self.get(alert.id), True

    def resolve(self, key: str, now: datetime | None = None) -> bool:
        """Close the open incident ``key``; False when none was open."""
        with self._engine.begin() as conn:
            done = conn.execute(alerts.update().where(alerts.c.open_key == key).values(
                status="resolved", open_key=None, resolved_at=now or utc_now())).rowcount
        if done:
            log.info("alert %s resolved", key)
        return bool(done)

    def resolve_all(self, prefix: str, keep: set[str], now: datetime | None = None) -> list[str]:
        """Resolve every open incident whose key starts with ``prefix`` except those in ``keep``."""
        with self._engine.connect() as conn:
            open_keys = conn.execute(sa.select(alerts.c.open_key).where(alerts.c.open_key.like(f"{prefix}%"))).scalars().all()
        return [k for k in open_keys if k not in keep and self.resolve(k, now)]

    def recent(self, limit: int = 50, status: str | None = None) -> list[Alert]:
        query = sa.select(alerts).order_by(alerts.c.id.desc()).limit(limit)
        if status:
            query = query.where(alerts.c.status == status)
        with self._engine.connect() as conn:
            return [Alert(**r) for r in conn.execute(query).mappings()]

    def get(self, alert_id: int) -> Alert:
        with self._engine.connect() as conn:
            return Alert(**conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).mappings().one())

    @staticmethod
    def _get(conn: sa.Connection, key: str) -> Alert:
        return Alert(**conn.execute(sa.select(alerts).where(alerts.c.open_key == key)).mappings().one())

    def _deliver(self, alert: Alert) -> None:
        delivery = {}
        for sink in self.sinks:
            try:
                sink.send(alert)
                delivery[sink.name] = "sent"
            except Exception as exc:  # a broken sink must not lose the alert, nor stop the others
                log.warning("alert %s: the %s sink failed: %s", alert.key, sink.name, exc)
                delivery[sink.name] = f"failed: {exc}"[:500]
        with self._engine.begin() as conn:
            conn.execute(alerts.update().where(alerts.c.id == alert.id).values(delivery=delivery))
