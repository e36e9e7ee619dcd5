"""Sign-in throttling with a fake clock, on SQLite and Postgres: repeated wrong passwords make the next
attempt wait (a growing delay), unknown names are throttled alike, a disabled account says so only
after the right password, and every attempt is in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.review.sign_in import SignIn, SignInRefused
from docent.settings import AuthSettings
from docent.store import models as m
from docent.store.db import engine_for


@pytest.fixture
def sign_in(url, clock) -> SignIn:
    guard = SignIn(url, AuthSettings(max_failures=3, failure_window_s=900, max_delay_s=60), clock=clock)
    guard.users.add("rita", "rita password", "reviewer")
    return guard


def wrong(guard: SignIn, username: str = "rita", times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(SignInRefused, match="Wrong username or password"):
            guard.attempt(username, "guess")


def test_repeated_failures_make_the_next_attempt_wait_longer_each_time(sign_in, clock):
    wrong(sign_in, times=3)
    with pytest.raises(SignInRefused, match="try again in 2 s"):  # even with the right password
        sign_in.attempt("rita", "rita password")
    clock.now += timedelta(seconds=2)
    wrong(sign_in)  # a fourth failure: the delay doubles
    with pytest.raises(SignInRefused, match="try again in 4 s"):
        sign_in.attempt("rita", "rita password")
    clock.now += timedelta(seconds=4)
    assert sign_in.attempt("rita", "rita password").username == "rita"
    wrong(sign_in, times=2)  # a good sign-in starts the count again
    assert sign_in.attempt("rita", "rita password").username == "rita"


def test_failures_older_than_the_window_do_not_count(sign_in, clock):
    wrong(sign_in, times=3)
    clock.now += timedelta(seconds=901)
    assert sign_in.attempt("rita", "rita password").username == "rita"


def test_unknown_names_are_throttled_alike_and_a_disabled_account_says_so_only_with_its_password(sign_in, clock):
    wrong(sign_in, "nobody", times=3)
    with pytest.raises(SignInRefused, match="try again in 2 s"):
        sign_in.attempt("nobody", "guess")
    admin = sign_in.users.add("root", "admin password", "admin")
    sign_in.users.disable(admin, "rita")
    wrong(sign_in)  # a wrong password on a disabled account reads like any other
    with pytest.raises(SignInRefused, match="disabled: ask an admin"):
        sign_in.attempt("rita", "rita password")


def test_every_attempt_is_in_the_audit_log(sign_in, url):
    wrong(sign_in, times=3)
    with pytest.raises(SignInRefused):
        sign_in.attempt("rita", "rita password")
    with engine_for(url).connect() as conn:
        outcomes = [r.outcome for r in conn.execute(sa.select(m.SignInAttempt).order_by(m.SignInAttempt.id))]
    assert outcomes == ["wrong", "wrong", "wrong", "throttled"]


def test_a_username_no_account_can_have_is_refused_as_wrong_and_recorded(sign_in):
    for name in ("rita\x00", "r" * 65, "ri\nta"):
        with pytest.raises(SignInRefused, match="Wrong username or password"):
            sign_in.attempt(name, "rita password")
    with Session(engine_for(sign_in.users.url)) as s:
        outcomes = list(s.scalars(sa.select(m.SignInAttempt.outcome)))
    assert outcomes == ["invalid"] * 3
