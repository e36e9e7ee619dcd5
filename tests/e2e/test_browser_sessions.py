"""Sessions in a real browser: a deep link signs in and lands on its page, a reload keeps the session, the
cookie is HTTP-only, signing out revokes it in every tab, and a forged cookie or a disabled account is sent
back to the sign-in page with the reason (and recorded in the audit log)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import CHAT_INPUT, PASSWORD, sign_in, wait_idle

pytestmark = pytest.mark.slow


def heading(page: Any, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=120_000)
    wait_idle(page)


def sign_in_page_says(page: Any, text: str) -> None:
    page.get_by_label("Username").wait_for()
    assert "/auth/sign-in" in page.url
    assert text in page.locator('[role="alert"]').inner_text()


def test_a_deep_link_signs_in_lands_on_its_page_and_survives_a_reload(app: Any, page: Any) -> None:
    page.goto(f"{app.url}/review")
    assert "/auth/sign-in" in page.url and "next=%2Freview" in page.url
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password", exact=True).fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    sign_in_page_says(page, "Wrong username or password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Review")
    assert page.url == f"{app.url}/review"
    cookie = next(c for c in page.context.cookies() if c["name"] == "docent_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    assert "docent_session" not in page.evaluate("document.cookie")  # scripts on the page cannot read it
    page.reload()
    heading(page, "Review")
    page.goto(f"{app.url}/ingestion")  # another deep link in the same browser: no second sign-in
    heading(page, "Ingestion")


def test_signing_out_revokes_the_session_in_every_tab(app: Any, page: Any) -> None:
    sign_in(page, app.url)
    token = next(c for c in page.context.cookies() if c["name"] == "docent_session")
    other_tab = page.context.new_page()
    other_tab.goto(app.url)
    other_tab.locator(CHAT_INPUT).wait_for(timeout=120_000)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out").wait_for()
    other_tab.reload()
    sign_in_page_says(other_tab, "You have signed out")
    replay = page.context.browser.new_context()  # the old cookie, copied elsewhere, opens nothing either
    replay.add_cookies([token])
    stolen = replay.new_page()
    stolen.goto(app.url)
    sign_in_page_says(stolen, "You have signed out")
    replay.close()


def test_a_forged_cookie_or_a_disabled_account_is_sent_to_sign_in_and_recorded(app: Any, page: Any) -> None:
    from docent.review.users import UserStore
    from docent.store.audit import AuditLog
    from tests.principals import ADMIN

    page.context.add_cookies([{"name": "docent_session", "value": "forged.value.abc", "url": app.url}])
    page.goto(f"{app.url}/review")
    sign_in_page_says(page, "could not be verified")
    assert "next=%2Freview" in page.url
    users = UserStore(app.state_url)
    users.add("dana", PASSWORD, "member")
    sign_in(page, app.url, "dana")
    users.disable(ADMIN, "dana")
    page.reload()
    sign_in_page_says(page, "This account is disabled")
    reasons = [r.reason for r in AuditLog(app.state_url).recent(10)]
    assert "forged" in reasons and "disabled" in reasons


def test_the_sign_in_routes_refuse_an_open_redirect_and_bad_requests(app: Any) -> None:
    with httpx.Client(base_url=app.url, follow_redirects=False, trust_env=False) as client:
        signed_in = client.post("/auth/sign-in", data={"username": "alice", "password": PASSWORD, "next": "//evil.example/x"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        empty = client.post("/auth/sign-in", data={"next": "/"})  # no username or password: the form again
        assert empty.status_code == 401 and "Wrong username or password" in empty.text
        assert client.get("/review", headers={"accept": "text/html"}).status_code == 200  # the cookie just set
        out = client.post("/auth/sign-out")
        assert out.status_code == 303 and "reason=revoked" in out.headers["location"]
        again = client.get("/review", headers={"accept": "text/html"})
        assert again.status_code == 303 and again.headers["location"].startswith("/auth/sign-in?next=%2Freview")
