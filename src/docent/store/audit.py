"""The audit log of refused requests: a forged or expired session, another person's conversation, a page
the role does not open. Refusals are answered vaguely on purpose ("no such conversation"); the log keeps
the precise reason for the people who run the service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.store import models as m
from docent.store.db import engine_for
from docent.store.records import as_utc, utc_now

log = logging.getLogger("docent.audit")


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    reason: str
    detail: str


class AuditLog:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def refused(self, actor: str, action: str, reason: str, detail: str = "") -> None:
        """Record one refusal (and log it): ``actor`` is a user id, or "" when nobody could be told."""
        log.warning("refused %s for %r: %s %s", action, actor or "nobody", reason, detail)
        with Session(self._engine) as s, s.begin():
            s.add(m.AuditEvent(at=utc_now(), actor=actor[:64], action=action[:32], reason=reason[:32], detail=detail))

    def recent(self, limit: int = 100, actor: str | None = None) -> list[AuditRecord]:
        """The newest refusals first (of one actor when given)."""
        stmt = sa.select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(limit)
        if actor is not None:
            stmt = stmt.where(m.AuditEvent.actor == actor)
        with Session(self._engine) as s:
            return [AuditRecord(as_utc(r.at), r.actor, r.action, r.reason, r.detail) for r in s.scalars(stmt)]
