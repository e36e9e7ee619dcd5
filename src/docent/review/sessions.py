"""App sessions that survive a reload: a signed, expiring, revocable token in an HTTP-only cookie.

A token is a random id signed with the app's key and its issue time (itsdangerous). The state store
keeps only the id's SHA-256, its owner and its expiry, so a copy of the database yields no cookie.
A token is refused when its signature is wrong (forged), it is older than ``auth.session_hours``
(expired), it was signed out (revoked), or its owner was disabled, deleted or given a role that does not exist. Each refusal goes to
the audit log with its reason, and :class:`SessionRefused` says what the person should do.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy.orm import Session

from docent.access import Principal, Refused, standing
from docent.settings import Settings
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.db import engine_for
from docent.store.records import as_utc, utc_now

COOKIE = "docent_session"
SIGN_IN_AGAIN = {
    "forged": "Your session could not be verified: sign in again.",
    "expired": "Your session has expired: sign in again.",
    "revoked": "You have signed out: sign in again.",
    "disabled": "This account is disabled: ask an admin to re-enable it.",
    "deleted": "This account no longer exists: ask an admin.",
    "role": "This account's role is not one Docent knows: ask an admin to set it (docent users role).",
}


class SessionRefused(Refused):
    """A session token refused; ``reason`` is one of SIGN_IN_AGAIN's keys."""

    MESSAGES = SIGN_IN_AGAIN


def signing_key(settings: Settings) -> str:
    """``auth.session_secret``, or a random key made once and kept (owner-only) in ``<data_dir>/session.key``."""
    if settings.auth.session_secret is not None:
        return settings.auth.session_secret.get_secret_value()
    path = Path(settings.data_dir) / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by another process a moment ago
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class _Signer(TimestampSigner):
    """itsdangerous' timestamped signer on the sessions' clock."""

    def __init__(self, key: str, clock: Callable[[], datetime]):
        super().__init__(key, salt="docent.session")
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock().timestamp())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def revoke_all(url: str, user_id: str) -> int:
    """Sign a person out everywhere (their password was reset); how many sessions were live."""
    with Session(engine_for(url)) as s, s.begin():
        result = s.execute(sa.update(m.AppSession)
                           .where(m.AppSession.user_id == user_id, m.AppSession.revoked_at.is_(None))
                           .values(revoked_at=utc_now()))
        return result.rowcount or 0


class Sessions:
    def __init__(self, url: str, key: str, hours: float, clock: Callable[[], datetime] = utc_now):
        self._engine = engine_for(url)
        self._signer = _Signer(key, clock)
        self._lifetime = timedelta(hours=hours)
        self._clock = clock  # injectable: tests let a session expire without waiting
        self.audit = AuditLog(url)

    @classmethod
    def for_settings(cls, settings: Settings) -> Sessions:
        return cls(settings.state_url, signing_key(settings), settings.auth.session_hours)

    @property
    def max_age_s(self) -> int:
        """The cookie's Max-Age: the session's lifetime."""
        return int(self._lifetime.total_seconds())

    def open(self, principal: Principal) -> str:
        """A new session for ``principal`` (just signed in); the token goes in the cookie."""
        session_id, now = secrets.token_urlsafe(32), self._clock()
        with Session(self._engine) as s, s.begin():
            s.add(m.AppSession(id_hash=_hash(session_id), user_id=principal.id, created_at=now,
                               expires_at=now + self._lifetime, revoked_at=None))
        return self._signer.sign(session_id).decode()

    def principal(self, token: str) -> Principal:
        """Who the token belongs to, as they are now (role changes apply at once); SessionRefused otherwise."""
        session_id = self._unsigned(token)
        with Session(self._engine) as s:
            row = s.get(m.AppSession, _hash(session_id))
            user = s.get(m.User, row.user_id) if row else None
        if row is None:
            raise self._refusal("", "forged", "a validly signed token with no session")
        if row.revoked_at is not None:
            raise self._refusal(row.user_id, "revoked")
        if as_utc(row.expires_at) <= self._clock():
            raise self._refusal(row.user_id, "expired")
        who = standing(user)
        if isinstance(who, str):
            raise self._refusal(row.user_id, who, user.role if who == "role" else "")
        return who

    def revoke(self, token: str) -> bool:
        """Sign out: the token is refused from now on. False when it was not a live session."""
        session_id = self._unsigned(token, record=False)
        if not session_id:
            return False
        with Session(self._engine) as s, s.begin():
            row = s.get(m.AppSession, _hash(session_id), with_for_update=True)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = self._clock()
            return True

    def _unsigned(self, token: str, record: bool = True) -> str:
        """The session id inside a well-signed, unexpired token; SessionRefused (recorded), or "" when not ``record``."""
        try:
            return self._signer.unsign(token, max_age=self.max_age_s).decode()
        except SignatureExpired:
            reason, detail = "expired", "the token was signed longer ago than auth.session_hours"
        except (BadSignature, UnicodeDecodeError):
            reason, detail = "forged", "bad signature"
        if record:
            raise self._refusal("", reason, detail)
        return ""

    def _refusal(self, actor: str, reason: str, detail: str = "") -> SessionRefused:
        """The refusal to raise, recorded in the audit log."""
        self.audit.refused(actor, "session", reason, detail)
        return SessionRefused(reason)
