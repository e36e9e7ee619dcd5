"""Accounts: argon2 password hashes and a role each (what a role allows is :mod:`docent.access`'s).

A disabled account cannot sign in, and :func:`docent.access.require` refuses it even if a session
still holds it. The CLI's local users (:meth:`UserStore.local`) have no password anyone knows.
"""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from docent.access import Action, Principal, Role, parse_role, require
from docent.review.sessions import revoke_all
from docent.store import models as m
from docent.store.db import engine_for
from docent.store.records import utc_now

MIN_PASSWORD = 8
MAX_USERNAME = 64


class UserError(ValueError):
    """Bad input for an account: the message says what to change."""


def _role(value: str | Role) -> Role:
    try:
        return parse_role(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")


def _record(row: m.User) -> Principal:
    return Principal(id=row.id, username=row.username, role=Role(row.role), disabled=row.disabled)


class UserStore:
    def __init__(self, url: str):
        self.url = url
        self._engine = engine_for(url)
        self._hasher = PasswordHasher()
        self._dummy: str | None = None  # hashed on first use: only sign-ins for unknown users need it

    def _session(self) -> Session:
        return Session(self._engine)

    def add(self, username: str, password: str, role: str | Role) -> Principal:
        """A new enabled account; UserError for an empty or taken name, a short password or an unknown role."""
        username = username.strip()
        if not username or len(username) > MAX_USERNAME:
            raise UserError(f"the username must have 1 to {MAX_USERNAME} characters")
        _check_password(password)
        row = m.User(id=str(uuid.uuid4()), username=username, password_hash=self._hasher.hash(password),
                     role=_role(role).value, disabled=False, created_at=utc_now())
        try:
            with self._session() as s, s.begin():
                s.add(row)
                s.flush()
                return _record(row)
        except sa.exc.IntegrityError:
            raise UserError(f"the username {username!r} is taken") from None

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The user when the password matches (disabled or not: :class:`docent.review.sign_in.SignIn` says so only
        then); None otherwise, in about the same time."""
        with self._session() as s:
            row = s.scalar(sa.select(m.User).where(m.User.username == username))
        if row is None:
            self._verify(self._dummy_hash(), password)
            return None
        if not self._verify(row.password_hash, password):
            return None
        if self._hasher.check_needs_rehash(row.password_hash):  # the hasher's parameters were raised since
            self._write(row.username, password_hash=self._hasher.hash(password))
        return _record(row)

    def get(self, username: str) -> Principal | None:
        with self._session() as s:
            row = s.scalar(sa.select(m.User).where(m.User.username == username))
            return _record(row) if row else None

    def list(self) -> list[Principal]:
        with self._session() as s:
            return [_record(r) for r in s.scalars(sa.select(m.User).order_by(m.User.username))]

    def count(self) -> int:
        with self._session() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(m.User)) or 0

    def set_role(self, actor: Principal, username: str, role: str | Role) -> Principal:
        require(actor, Action.MANAGE_USERS)
        return self._write(username, role=_role(role).value)

    def disable(self, actor: Principal, username: str) -> Principal:
        require(actor, Action.MANAGE_USERS)
        return self._write(username, disabled=True)

    def enable(self, actor: Principal, username: str) -> Principal:
        require(actor, Action.MANAGE_USERS)
        return self._write(username, disabled=False)

    def local(self, username: str, role: Role) -> Principal:
        """The CLI's named local user, created with ``role`` on first use.

        Its password is random and never shown: it cannot sign in to the app until an admin sets one.
        """
        try:
            return self.get(username) or self.add(username, secrets.token_urlsafe(32), role)
        except UserError:
            if (raced := self.get(username)) is None:  # not created by another process a moment ago
                raise
            return raced

    def set_password(self, actor: Principal, username: str, password: str) -> Principal:
        """A new password; the person's open sessions end, so whoever knew the old one is signed out too."""
        require(actor, Action.MANAGE_USERS)
        _check_password(password)
        user = self._write(username, password_hash=self._hasher.hash(password))
        revoke_all(self.url, user.id)
        return user

    def _write(self, username: str, **values: object) -> Principal:
        with self._session() as s, s.begin():
            row = s.scalar(sa.select(m.User).where(m.User.username == username).with_for_update())
            if row is None:
                raise UserError(f"no user {username!r}")
            for key, value in values.items():
                setattr(row, key, value)
            s.flush()
            return _record(row)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a password: an unknown user's sign-in takes as long as a known one's")
        return self._dummy
