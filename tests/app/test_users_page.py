"""The Users page: a user just added is in the table; every change is confirmed by a toast that survives the
rerun; a role change, disabling and revoking a key ask first and do nothing until "Yes"."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def pick_user(at, name: str):
    return next(s for s in at.selectbox if s.label == "User").select(name).run()


def test_a_user_just_added_is_in_the_table_with_a_confirmation(app):
    at = app("ada").switch_page("pages/users.py").run()
    next(t for t in at.text_input if t.label == "Username").input("newcomer")
    next(s for s in at.selectbox if s.label == "Role").select("reviewer")
    next(t for t in at.text_input if t.label.startswith("Password")).input("a long password")
    button(at, "Add").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table[table["username"] == "newcomer"]["role"].tolist() == ["reviewer"]
    assert toasts(at) == ["Added newcomer as reviewer."]
    at.run()  # shown once
    assert toasts(at) == []


def test_a_role_change_asks_first_and_cancel_changes_nothing(app, app_env):
    from docent.review.users import UserStore

    users = UserStore(app_env["state_url"])
    users.add("promoted", "first password", "member")
    at = pick_user(app("ada").switch_page("pages/users.py").run(), "promoted")
    next(s for s in at.selectbox if s.label == "New role").select("analyst").run()
    button(at, "Change role").click().run()
    assert users.get("promoted").role == "member"  # asked, not done
    assert "Change promoted from member to analyst?" in at.warning[0].value
    button(at, "Cancel").click().run()
    assert users.get("promoted").role == "member" and toasts(at) == ["Nothing changed."] and not at.warning
    button(at, "Change role").click().run()
    button(at, "Yes").click().run()
    assert not at.exception, at.exception
    assert users.get("promoted").role == "analyst"
    assert toasts(at) == ["promoted is now analyst."]
    table = at.dataframe[0].value
    assert table[table["username"] == "promoted"]["role"].tolist() == ["analyst"]


def test_an_admin_disables_after_confirming_re_enables_and_resets_a_password(app, app_env):
    from docent.review.users import UserStore

    users = UserStore(app_env["state_url"])
    users.add("temp", "first password", "member")
    at = pick_user(app("ada").switch_page("pages/users.py").run(), "temp")
    button(at, "Disable").click().run()
    assert not users.get("temp").disabled and "Disable temp?" in at.warning[0].value
    button(at, "Yes").click().run()
    assert users.get("temp").disabled and not at.exception
    assert toasts(at) == ["Disabled temp: they can no longer sign in."]
    button(at, "Re-enable").click().run()  # gives back: no question
    assert not users.get("temp").disabled
    assert toasts(at) == ["Re-enabled temp: they can sign in again."]
    next(t for t in at.text_input if t.label.startswith("New password")).input("second password")
    button(at, "Reset password").click().run()
    assert not at.exception, at.exception
    assert toasts(at) == ["Reset the password of temp; they are signed out everywhere."]
    assert users.authenticate("temp", "second password") is not None
    assert users.authenticate("temp", "first password") is None


def test_a_short_password_is_refused_with_the_reason(app, app_env):
    from docent.review.users import UserStore

    UserStore(app_env["state_url"]).add("shorty", "first password", "member")
    at = pick_user(app("ada").switch_page("pages/users.py").run(), "shorty")
    next(t for t in at.text_input if t.label.startswith("New password")).input("short")
    button(at, "Reset password").click().run()
    assert "at least 8 characters" in at.error[0].value and toasts(at) == []


def test_an_admin_sees_and_revokes_api_keys_after_confirming(app, app_env):
    from docent.review.api_keys import ApiKeys, KeyRefused
    from docent.review.users import UserStore

    mo = UserStore(app_env["state_url"]).get("mo")
    keys = ApiKeys(app_env["state_url"])
    key = keys.create(mo, mo, "mo's notebook")
    prefix = key.split("_")[1]
    at = app("ada").switch_page("pages/users.py").run()
    table = next(d for d in at.dataframe if "prefix" in d.value.columns).value
    row = table[table["prefix"] == prefix].iloc[0]
    assert (row["user"], row["name"], row["status"]) == ("mo", "mo's notebook", "active")
    assert key not in table.to_string()
    next(s for s in at.selectbox if s.label == "Key").select(prefix).run()
    button(at, "Revoke key").click().run()
    assert keys.principal(key).username == "mo"  # asked, not revoked
    button(at, "Yes").click().run()
    assert not at.exception, at.exception
    assert toasts(at) == [f"Revoked key {prefix}: programs using it are refused from their next request."]
    with pytest.raises(KeyRefused, match="revoked"):
        keys.principal(key)
