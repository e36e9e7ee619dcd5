"""The Review page in a real browser (issue 17): an asker's thumbs-down comment reaches the reviewer, the queue
fits the page, and an approval is confirmed by a toast that survives the page's rerun. The page is kept as a
before/after screenshot (test-artifacts/screens/review-*.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import ask, screenshot, sign_in, wait_idle

pytestmark = pytest.mark.slow

QUESTION = "How many days of sick leave may be taken without a note?"
COMMENT = "says nothing about part-time staff"
# Whether the queue table scrolls sideways: its grid is wider than the box it is shown in.
TABLE_OVERFLOWS_JS = """() => {
  const s = document.querySelector('[data-testid="stDataFrame"] .dvn-scroller');
  return s.scrollWidth > s.clientWidth + 1;
}"""


def test_a_thumbs_down_comment_reaches_the_reviewer_and_an_approval_is_confirmed(app: Any, page: Any) -> None:
    sign_in(page, app.url)  # alice, a reviewer, asks too
    ask(page, QUESTION)
    wait_idle(page)
    page.locator('[data-testid="stFeedback"] button').last.wait_for()
    page.locator('[data-testid="stFeedback"] button').last.click()  # thumbs down
    comment = page.get_by_label("Comment (optional)")
    comment.fill(COMMENT)
    comment.press("Enter")
    page.locator('[data-testid="stToast"]').filter(has_text="Your comment was sent").wait_for()
    wait_idle(page)

    page.locator('[data-testid="stSidebarNav"]').get_by_text("Review", exact=True).click()
    page.get_by_role("heading", name="Review", exact=True).wait_for()
    page.locator('[data-testid="stDataFrame"]').wait_for()
    wait_idle(page)
    assert not page.evaluate(TABLE_OVERFLOWS_JS), "the queue table is cut off at the right"
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Open item").click()
    page.get_by_role("option", name=re.compile(re.escape(QUESTION[:40]))).click()
    page.get_by_role("heading", name=re.compile(r"Item \d+: pending")).wait_for()
    said = page.locator('[data-testid="stAlert"]').filter(has_text="thumbs-down")
    assert "alice" in said.inner_text() and COMMENT in said.inner_text()
    page.get_by_role("button", name=re.compile("Claim")).click()
    approve = page.get_by_role("button", name=re.compile("Approve"))
    approve.wait_for()
    wait_idle(page)
    page.get_by_role("heading", name=re.compile(r"Item \d+: pending")).scroll_into_view_if_needed()
    screenshot(page, "review-before")  # the item's header, the asker's comment, the answer

    approve.click()
    toast = page.locator('[data-testid="stToast"]').filter(has_text=re.compile(r"Item \d+ approved"))
    toast.wait_for()
    wait_idle(page)
    assert toast.is_visible(), "the confirmation vanished with the rerun"
    screenshot(page, "review-after")
    assert "Traceback" not in page.locator('[data-testid="stMain"]').inner_text()
