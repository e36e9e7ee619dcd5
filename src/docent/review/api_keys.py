"""Personal API keys: how another program acts as a Docent user (the HTTP API's bearer credential).

A key reads ``dk_<prefix>_<secret>``. It is shown once, when made; the state store keeps its prefix
(visible in listings, and what ``revoke`` takes) and the SHA-256 of the whole key, so a copy of the
database yields no key. A key is refused when it is malformed or unknown (forged), revoked, past its
expiry, or its owner is disabled, deleted or has a role that does not exist; each refusal goes to the audit log with its reason.
A key acts with its owner's role as it is now.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.access import Action, Principal, Refused, allowed, require, standing
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.db import engine_for
from docent.store.records import as_utc, utc_now

_SHAPE = re.compile(r"dk_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{32,64}")
MAX_NAME = 64
LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is kept to the minute: most requests then only read
REFUSED = {
    "forged": "invalid API key",
    "revoked": "this API key was revoked",
    "expired": "this API key has expired: make a new one with `docent keys create`",
    "disabled": "the account of this API key is disabled",
    "deleted": "the account of this API key no longer exists",
    "role": "the account of this API key has a role Docent does not know: ask an admin to set it",
}


class KeyRefused(Refused):
    """An API key refused; ``reason`` is one of REFUSED's keys."""

    MESSAGES = REFUSED


class ApiKeyError(ValueError):
    """Bad input for a key (a name too long, an expiry not in the future): the message says what to change."""


@dataclass(frozen=True)
class ApiKeyRecord:
    prefix: str
    user_id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _record(row: m.ApiKey) -> ApiKeyRecord:
    return ApiKeyRecord(row.prefix, row.user_id, row.name, as_utc(row.created_at), as_utc(row.expires_at),
                        as_utc(row.revoked_at), as_utc(row.last_used_at))


class ApiKeys:
    def __init__(self, url: str, clock: Callable[[], datetime] = utc_now):
        self._engine = engine_for(url)
        self._clock = clock  # injectable: tests let a key expire without waiting
        self.audit = AuditLog(url)

    def create(self, actor: Principal, owner: Principal, name: str = "", days: float | None = None) -> str:
        """A new key for ``owner`` (one's own, or anyone's for an admin); the key itself, shown only now."""
        if actor.id != owner.id:
            require(actor, Action.MANAGE_USERS)
        require(owner, Action.ASK)
        if len(name) > MAX_NAME:
            raise ApiKeyError(f"the key's name must have at most {MAX_NAME} characters")
        if days is not None and days <= 0:
            raise ApiKeyError("a key's lifetime must be more than 0 days")
        prefix, now = "".join(secrets.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(8)), self._clock()
        key = f"dk_{prefix}_{secrets.token_urlsafe(32)}"
        with Session(self._engine) as s, s.begin():
            s.add(m.ApiKey(prefix=prefix, key_hash=_digest(key), user_id=owner.id, name=name, created_at=now,
                           expires_at=now + timedelta(days=days) if days is not None else None))
        return key

    def principal(self, key: str) -> Principal:
        """Who the key acts for, as they are now; KeyRefused (recorded) otherwise."""
        shape = _SHAPE.fullmatch(key.strip())
        with Session(self._engine) as s, s.begin():
            row = s.get(m.ApiKey, shape.group(1)) if shape else None
            if row is None or not hmac.compare_digest(row.key_hash, _digest(key.strip())):
                raise self._refusal("", "forged", shape.group(1) if shape else "malformed")
            now, user = self._clock(), s.get(m.User, row.user_id)
            if row.revoked_at is not None:
                raise self._refusal(row.user_id, "revoked", row.prefix)
            if row.expires_at is not None and as_utc(row.expires_at) <= now:
                raise self._refusal(row.user_id, "expired", row.prefix)
            who = standing(user)
            if isinstance(who, str):
                raise self._refusal(row.user_id, who, row.prefix)
            if row.last_used_at is None or now - as_utc(row.last_used_at) >= LAST_USED_EVERY:
                row.last_used_at = now
            return who

    def list(self, viewer: Principal, owner: Principal | None = None) -> list[ApiKeyRecord]:
        """Keys of ``owner`` (default: the viewer's own), newest first; every key for an admin passing None."""
        stmt = sa.select(m.ApiKey).order_by(m.ApiKey.created_at.desc())
        if owner is not None and owner.id != viewer.id:
            require(viewer, Action.MANAGE_USERS)
        if owner is not None or not allowed(viewer, Action.MANAGE_USERS):
            stmt = stmt.where(m.ApiKey.user_id == (owner or viewer).id)
        with Session(self._engine) as s:
            return [_record(r) for r in s.scalars(stmt)]

    def revoke(self, actor: Principal, prefix: str) -> bool:
        """Revoke one's own key (an admin: anyone's); False when there is no such live key the actor may revoke."""
        with Session(self._engine) as s, s.begin():
            row = s.get(m.ApiKey, prefix, with_for_update=True)
            if row is None or (row.user_id != actor.id and not allowed(actor, Action.MANAGE_USERS)):
                return False
            if row.revoked_at is not None:
                return False
            row.revoked_at = self._clock()
            return True

    def _refusal(self, actor: str, reason: str, detail: str) -> KeyRefused:
        self.audit.refused(actor, "api_key", reason, detail)
        return KeyRefused(reason)
