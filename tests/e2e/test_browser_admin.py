"""The admin's pages in a real browser: the confirmations are toasts that survive the rerun, an upload is
ingested with a progress bar, a destructive change asks first. Each page is kept as a before/after screenshot."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import screenshot, sign_in, wait_idle

pytestmark = pytest.mark.slow

# Notes whether a progress bar was ever on the page (an ingestion of one file may show it for a moment only).
WATCH_PROGRESS_JS = """() => {
  window.__sawProgress = false;
  new MutationObserver(() => {
    if (document.querySelector('[data-testid="stProgress"]')) window.__sawProgress = true;
  }).observe(document.body, {subtree: true, childList: true});
}"""


def open_page(page: Any, url: str, title: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=title).wait_for(timeout=120_000)
    wait_idle(page)


def toast(page: Any, text: str) -> Any:
    shown = page.locator('[data-testid="stToast"]').filter(has_text=text)
    shown.wait_for(timeout=120_000)
    return shown


def test_an_admin_uploads_a_document_and_ingests_it_with_progress(app: Any, page: Any) -> None:
    sign_in(page, app.url, "root")
    open_page(page, f"{app.url}/ingestion", "Ingestion")
    screenshot(page, "ingestion-before")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "canteen.md", "mimeType": "text/markdown",
                "buffer": b"# Canteen\n\nThe staff canteen opens at eight and closes at three.\n"}])
    page.get_by_text("canteen.md").wait_for()
    page.get_by_role("button", name=re.compile(r"Upload these files$")).click()
    toast(page, "Uploaded new: canteen.md")
    assert (app.data_dir / "uploads" / "canteen.md").is_file()
    wait_idle(page)
    page.evaluate(WATCH_PROGRESS_JS)
    page.get_by_role("button", name=re.compile(r"Ingest uploads now$")).click()
    toast(page, "Ingested: 1 new, 0 updated, 0 removed, 0 quarantined.")
    assert page.evaluate("() => window.__sawProgress")
    wait_idle(page)
    screenshot(page, "ingestion-after")


def test_an_admin_adds_a_user_and_confirms_a_role_change(app: Any, page: Any) -> None:
    sign_in(page, app.url, "root")
    open_page(page, f"{app.url}/users", "Users")
    screenshot(page, "users-before")
    page.get_by_label("Username", exact=True).fill("e2e-newcomer")
    page.get_by_label("Password (8 characters or more)", exact=True).fill("a long password")
    page.get_by_role("button", name="Add").click()
    toast(page, "Added e2e-newcomer as member.")
    wait_idle(page)
    page.get_by_role("button", name="Change role").wait_for()
    user = page.locator('[data-testid="stSelectbox"]').filter(has_text="User").first
    user.click()
    page.get_by_role("option", name="e2e-newcomer").click()
    wait_idle(page)
    role = page.locator('[data-testid="stSelectbox"]').filter(has_text="New role")
    role.click()
    page.get_by_role("option", name="reviewer").click()
    wait_idle(page)
    page.get_by_role("button", name="Change role").click()
    page.get_by_text("Change e2e-newcomer from member to reviewer?").wait_for()
    page.get_by_role("button", name="Yes").click()
    toast(page, "e2e-newcomer is now reviewer.")
    wait_idle(page)
    screenshot(page, "users-after")
