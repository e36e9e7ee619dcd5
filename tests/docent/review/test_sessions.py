"""App sessions on SQLite and Postgres, with a fake clock: a token opens a session that outlives a reload;
a forged, expired, revoked token, or one of a disabled or deleted user, is refused with a reason, and
every refusal is in the audit log. The database never holds a usable token."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from docent.access import Role
from docent.review.sessions import SessionRefused, Sessions, signing_key
from docent.review.users import UserStore
from docent.settings import load_settings
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.db import engine_for
from tests.principals import ADMIN


@pytest.fixture
def sessions(url, clock) -> Sessions:
    return Sessions(url, "test key", hours=12, clock=clock)


@pytest.fixture
def rita(url):
    return UserStore(url).add("rita", "rita password", "reviewer")


def refused(sessions: Sessions, token: str, reason: str) -> None:
    with pytest.raises(SessionRefused) as caught:
        sessions.principal(token)
    assert caught.value.reason == reason


def test_a_token_names_its_user_as_they_are_now_until_it_expires(sessions, rita, url, clock):
    token = sessions.open(rita)
    assert sessions.principal(token) == rita
    UserStore(url).set_role(ADMIN, "rita", "analyst")
    assert sessions.principal(token).role is Role.ANALYST  # a role change applies to open sessions at once
    clock.now += timedelta(hours=11, minutes=59)
    assert sessions.principal(token).username == "rita"
    clock.now += timedelta(minutes=2)
    refused(sessions, token, "expired")
    assert "expired" in str(pytest.raises(SessionRefused, sessions.principal, token).value)


def test_forged_tokens_are_refused_and_recorded(sessions, rita, url):
    token = sessions.open(rita)
    other_key = Sessions(url, "another key", hours=12)
    for forged in (token[:-3] + "abc", "not-a-token", "", other_key.open(rita)):
        refused(sessions, forged, "forged")
    with engine_for(url).begin() as conn:  # well signed, but no such session (e.g. a database restored from before)
        conn.execute(sa.delete(m.AppSession.__table__))
    refused(sessions, token, "forged")
    reasons = [r.reason for r in AuditLog(url).recent()]
    assert reasons == ["forged"] * 5


def test_sign_out_revokes_only_that_session_and_a_password_reset_revokes_all(sessions, rita, url):
    first, second = sessions.open(rita), sessions.open(rita)
    assert sessions.revoke(first) is True
    assert sessions.revoke(first) is False and sessions.revoke("garbage") is False
    refused(sessions, first, "revoked")
    assert sessions.principal(second) == rita
    UserStore(url).set_password(ADMIN, "rita", "a new password")
    refused(sessions, second, "revoked")
    assert AuditLog(url).recent()[0].actor == rita.id


def test_a_disabled_or_deleted_user_or_an_unknown_role_is_refused(sessions, rita, url):
    token = sessions.open(rita)
    UserStore(url).disable(ADMIN, "rita")
    refused(sessions, token, "disabled")
    UserStore(url).enable(ADMIN, "rita")
    assert sessions.principal(token) == rita
    with engine_for(url).begin() as conn:
        conn.execute(sa.update(m.User.__table__).where(m.User.id == rita.id).values(role="boss"))
    refused(sessions, token, "role")
    with engine_for(url).begin() as conn:
        conn.execute(sa.delete(m.User.__table__).where(m.User.id == rita.id))
    refused(sessions, token, "deleted")


def test_the_database_holds_no_usable_token(sessions, rita, url):
    token = sessions.open(rita)
    with engine_for(url).connect() as conn:
        stored = conn.execute(sa.select(m.AppSession.__table__)).mappings().one()
    assert token.split(".")[0] not in str(dict(stored)) and stored["user_id"] == rita.id


def test_the_signing_key_is_made_once_and_kept_private(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    key = signing_key(settings)
    assert signing_key(settings) == key and len(key) >= 32
    assert (tmp_path / "data" / "session.key").stat().st_mode & 0o077 == 0
    assert signing_key(load_settings(data_dir=tmp_path / "data", auth={"session_secret": "shared"})) == "shared"
