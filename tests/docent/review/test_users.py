"""Accounts on SQLite and Postgres: argon2 hashes, sign-in, roles, and who may manage whom."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from docent.access import Action, PermissionDenied, Principal, Role, require
from docent.review.users import UserError, UserStore
from docent.store import models as m


@pytest.fixture
def users(url) -> UserStore:
    return UserStore(url)


def test_add_then_sign_in(users):
    alice = users.add(" alice ", "correct horse", "reviewer")
    assert (alice.username, alice.role, alice.disabled) == ("alice", Role.REVIEWER, False)
    assert users.authenticate("alice", "correct horse") == alice
    assert users.authenticate("alice", "wrong password") is None
    assert users.authenticate("nobody", "correct horse") is None
    assert users.get("alice") == alice and users.get("nobody") is None
    with users._engine.connect() as conn:
        password_hash = conn.scalar(sa.select(m.User.password_hash))
    assert password_hash.startswith("$argon2id$") and "correct horse" not in password_hash


def test_bad_accounts_are_refused_with_clear_messages(users):
    users.add("alice", "correct horse", Role.ADMIN)
    with pytest.raises(UserError, match="'alice' is taken"):
        users.add("alice", "another password", "analyst")
    with pytest.raises(UserError, match="at least 8 characters"):
        users.add("bob", "short", "analyst")
    with pytest.raises(UserError, match="at least 8 characters"):
        users.add("bob", "", "analyst")
    with pytest.raises(UserError, match="unknown role 'boss'; choose one of member, reviewer, analyst, admin"):
        users.add("bob", "long enough", "boss")
    with pytest.raises(UserError, match="1 to 64 characters"):
        users.add("  ", "long enough", "analyst")
    assert [u.username for u in users.list()] == ["alice"] and users.count() == 1


def test_admins_manage_accounts_and_nobody_else_does(users):
    admin = users.add("root", "admin password", "admin")
    reviewer = users.add("rita", "rita password", "reviewer")
    users.add("andy", "andy password", "analyst")
    for actor in (reviewer, users.get("andy")):
        with pytest.raises(PermissionDenied, match="needs the admin role"):
            users.set_role(actor, "andy", "admin")
        with pytest.raises(PermissionDenied):
            users.disable(actor, "root")
        with pytest.raises(PermissionDenied):
            users.set_password(actor, "root", "new password")
    assert users.set_role(admin, "andy", "reviewer").role == Role.REVIEWER
    with pytest.raises(UserError, match="unknown role"):
        users.set_role(admin, "andy", "owner")
    with pytest.raises(UserError, match="no user 'ghost'"):
        users.disable(admin, "ghost")
    users.set_password(admin, "rita", "a new password")
    assert users.authenticate("rita", "rita password") is None and users.authenticate("rita", "a new password")
    with pytest.raises(UserError):
        users.set_password(admin, "rita", "short")
    assert users.disable(admin, "rita").disabled
    assert users.authenticate("rita", "a new password").disabled  # SignIn refuses it, saying so
    assert [(u.username, u.role.value, u.disabled) for u in users.list()] == [
        ("andy", "reviewer", False), ("rita", "reviewer", True), ("root", "admin", False)]


def test_require_names_the_role_needed():
    reviewer = Principal(id="1", username="rita", role=Role.REVIEWER)
    assert require(reviewer, Action.DECIDE_REVIEW) is reviewer
    with pytest.raises(PermissionDenied, match="this needs the admin role \\('rita' has the reviewer role\\)"):
        require(reviewer, Action.MANAGE_USERS)
    with pytest.raises(PermissionDenied, match="needs the reviewer role: sign in first"):
        require(None, Action.DECIDE_REVIEW)
    with pytest.raises(PermissionDenied, match="disabled"):
        require(Principal(id="2", username="old", role=Role.ADMIN, disabled=True), Action.MANAGE_USERS)


def test_admins_re_enable_accounts(users):
    admin = users.add("root", "admin password", "admin")
    users.add("rita", "rita password", "reviewer")
    users.disable(admin, "rita")
    with pytest.raises(PermissionDenied):
        users.enable(users.get("rita"), "rita")
    assert not users.enable(admin, "rita").disabled
    assert not users.authenticate("rita", "rita password").disabled


def test_a_local_user_is_created_once_and_has_no_known_password(users):
    first = users.local("carol", Role.ADMIN)
    assert users.local("carol", Role.MEMBER) == first  # the existing account, its role unchanged
    assert first.role == Role.ADMIN and users.count() == 1
    assert users.authenticate("carol", "") is None


def test_an_old_hash_is_upgraded_at_sign_in(users):
    users.add("alice", "correct horse", "reviewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse")
    engine = users._engine
    with engine.begin() as conn:
        conn.execute(sa.update(m.User).values(password_hash=weak))
    assert users.authenticate("alice", "correct horse") is not None
    with engine.connect() as conn:
        upgraded = conn.scalar(sa.select(m.User.password_hash))
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)
    assert users.authenticate("alice", "correct horse") is not None
