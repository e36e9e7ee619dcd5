"""Signing in with a password, throttled: guessing a password gets slower with every wrong one.

After ``auth.max_failures`` wrong passwords for one username within ``auth.failure_window_s``
(counted since its last good sign-in), each further attempt must wait a delay that doubles with
every failure (2 s, 4 s, 8 s, … up to ``auth.max_delay_s``); an attempt made sooner is refused
without checking the password. Unknown usernames are throttled the same way, so the throttle
says nothing about which accounts exist, and a disabled account says it is disabled only after
the right password. Every attempt goes to the sign-in audit log (``sign_in_attempts``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.access import Principal
from docent.review.users import MAX_USERNAME, UserStore
from docent.settings import AuthSettings
from docent.store import models as m
from docent.store.db import engine_for
from docent.store.records import as_utc, utc_now

log = logging.getLogger("docent.auth")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SignInRefused(Exception):
    """A sign-in refused; the message is safe to show (it never says whether the username exists)."""


class SignIn:
    def __init__(self, url: str, settings: AuthSettings, clock: Callable[[], datetime] = utc_now):
        self.users = UserStore(url)
        self.settings = settings
        self._engine = engine_for(url)
        self._clock = clock  # injectable: tests let a delay run out without sleeping

    def attempt(self, username: str, password: str) -> Principal:
        """The user, signed in; SignInRefused (wrong password, throttled, disabled) otherwise."""
        now, username = self._clock(), username.strip()
        if _CONTROL.search(username) or len(username) > MAX_USERNAME:  # no account has such a name
            self._record(_CONTROL.sub("?", username), "invalid", now)
            raise SignInRefused("Wrong username or password.")
        wait = self.wait_s(username, now)
        if wait > 0:
            self._record(username, "throttled", now)
            log.warning("sign-in for %r throttled after repeated failures (%.0f s to wait)", username, wait)
            raise SignInRefused(f"Too many failed sign-ins for this username: try again in {math.ceil(wait)} s.")
        user = self.users.authenticate(username, password)
        if user is None:
            self._record(username, "wrong", now)
            raise SignInRefused("Wrong username or password.")
        if user.disabled:
            self._record(username, "disabled", now)
            raise SignInRefused("This account is disabled: ask an admin to re-enable it.")
        self._record(username, "ok", now)
        return user

    def wait_s(self, username: str, now: datetime) -> float:
        """Seconds before ``username`` may try again (0: now)."""
        since = now - timedelta(seconds=self.settings.failure_window_s)
        stmt = (
            sa.select(m.SignInAttempt.outcome, m.SignInAttempt.at)
            .where(m.SignInAttempt.username == username, m.SignInAttempt.at >= since)
            .order_by(m.SignInAttempt.at.desc(), m.SignInAttempt.id.desc())
        )
        with Session(self._engine) as s:
            rows = list(s.execute(stmt))
        failures = []
        for outcome, at in rows:  # newest first, back to the last good sign-in
            if outcome == "ok":
                break
            if outcome == "wrong":
                failures.append(as_utc(at))
        if len(failures) < self.settings.max_failures:
            return 0.0
        delay = min(2.0 ** (len(failures) - self.settings.max_failures + 1), self.settings.max_delay_s)
        return max(0.0, (failures[0] + timedelta(seconds=delay) - now).total_seconds())

    def _record(self, username: str, outcome: str, at: datetime) -> None:
        with Session(self._engine) as s, s.begin():
            s.add(m.SignInAttempt(username=username[:64], outcome=outcome, at=at))
