"""Personal API keys on SQLite and Postgres, with a fake clock: a key acts as its owner as they are now; a
malformed, unknown, revoked or expired key, or one of a disabled or deleted user, is refused with a reason and
recorded; only the owner or an admin makes, lists and revokes keys; the database holds no usable key."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from docent.access import PermissionDenied, Role
from docent.review.api_keys import ApiKeyError, ApiKeys, KeyRefused
from docent.review.users import UserStore
from docent.store import models as m
from docent.store.audit import AuditLog
from docent.store.db import engine_for
from tests.principals import ADMIN


@pytest.fixture
def keys(url, clock) -> ApiKeys:
    return ApiKeys(url, clock=clock)


@pytest.fixture
def people(url):
    users = UserStore(url)
    return users.add("mo", "mo password", "member"), users.add("rita", "rita password", "reviewer")


def refused(keys: ApiKeys, key: str, reason: str) -> None:
    with pytest.raises(KeyRefused) as caught:
        keys.principal(key)
    assert caught.value.reason == reason


def test_a_key_acts_as_its_owner_until_it_expires_and_is_seen_used(keys, people, url, clock):
    mo, _ = people
    key = keys.create(mo, mo, "notebook", days=30)
    assert key.startswith("dk_") and keys.principal(key) == mo
    UserStore(url).set_role(ADMIN, "mo", "analyst")
    assert keys.principal(f"  {key}\n").role is Role.ANALYST  # the role as it is now; stray whitespace ignored
    (listed,) = keys.list(mo)
    assert (listed.name, listed.status(clock.now), listed.last_used_at) == ("notebook", "active", clock.now)
    first = clock.now
    clock.now += timedelta(seconds=30)
    keys.principal(key)  # within the minute: read only, "last used" stays
    assert keys.list(mo)[0].last_used_at == first
    clock.now += timedelta(seconds=31)
    keys.principal(key)
    assert keys.list(mo)[0].last_used_at == clock.now
    clock.now = first + timedelta(days=30)
    refused(keys, key, "expired")
    assert keys.list(mo)[0].status(clock.now) == "expired"


def test_forged_and_malformed_keys_are_refused_and_recorded(keys, people, url):
    mo, _ = people
    key = keys.create(mo, mo)
    prefix = key.split("_")[1]
    for forged in (key[:-2] + ("AA" if not key.endswith("AA") else "BB"), f"dk_{prefix}_" + "x" * 43, "Bearer " + key,
                   "", "dk_zzzzzzzz_" + "y" * 43, "\x00" * 10):
        refused(keys, forged, "forged")
    assert [r.reason for r in AuditLog(url).recent()] == ["forged"] * 6


def test_revoked_keys_and_keys_of_disabled_deleted_or_unknown_role_users_are_refused(keys, people, url):
    mo, rita = people
    first, second = keys.create(mo, mo), keys.create(rita, rita)
    assert keys.revoke(rita, first.split("_")[1]) is False  # not hers: refused without saying it exists
    assert keys.revoke(mo, first.split("_")[1]) is True and keys.revoke(mo, first.split("_")[1]) is False
    refused(keys, first, "revoked")
    UserStore(url).disable(ADMIN, "rita")
    refused(keys, second, "disabled")
    with engine_for(url).begin() as conn:  # a role edited by hand: refused, not a crash
        conn.execute(sa.update(m.User.__table__).where(m.User.id == rita.id).values(role="boss", disabled=False))
    refused(keys, second, "role")
    with engine_for(url).begin() as conn:
        conn.execute(sa.delete(m.User.__table__).where(m.User.id == rita.id))
    refused(keys, second, "deleted")
    with engine_for(url).connect() as conn:
        stored = [dict(r) for r in conn.execute(sa.select(m.ApiKey.__table__)).mappings()]
    assert not any(first in str(row) or second in str(row) for row in stored)


def test_only_the_owner_or_an_admin_makes_lists_and_revokes_keys(keys, people, url):
    mo, rita = people
    admin = UserStore(url).add("ada", "ada password", "admin")
    with pytest.raises(PermissionDenied, match="admin"):
        keys.create(mo, rita)
    theirs = keys.create(admin, rita, "made for rita")
    assert keys.principal(theirs) == rita
    assert [k.name for k in keys.list(rita)] == ["made for rita"] and keys.list(mo) == []
    with pytest.raises(PermissionDenied):
        keys.list(mo, rita)
    assert len(keys.list(admin)) == 1  # an admin lists every key
    assert keys.revoke(admin, theirs.split("_")[1]) is True
    with pytest.raises(ApiKeyError, match="more than 0 days"):
        keys.create(mo, mo, days=0)
    with pytest.raises(ApiKeyError, match="at most 64"):
        keys.create(mo, mo, "n" * 65)
