"""The Evaluation page in a real browser with one run: what only a rendered chart shows (dated ticks on the time
axis, a 0-1 value axis, the value written on its point, no "0.000000"), and an answer opened on its chunks.
Kept as the evaluation-before / evaluation-after screenshots."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import screenshot, sign_in, wait_idle

pytestmark = pytest.mark.slow

CHART_TEXTS_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text')]
  .map(t => t.textContent.trim()).filter(Boolean)"""


def seed_one_run(app: Any) -> str:
    """One continuous run over three answers of the app's own index (grounding mean 0.576, citation validity known
    for one answer of three: not enough data), each answer given two real chunks; returns its first chunk's text."""
    from docent.evaluate.cases import EvalCase
    from docent.evaluate.checks import check
    from docent.evaluate.results import EvalStore, summarize
    from docent.settings import load_settings
    from docent.workspace import Workspace

    ws = Workspace(load_settings(data_dir=app.data_dir, embedding={"backend": "torch"}))
    chunks = [c for c in ws.index.fetch({"position": 0}, limit=50) if c.page is not None][:2]
    version = ws.version
    ws.close()
    scores = [{"grounding": g, "citation_validity": v} for g, v in ((0.5, 1.0), (0.652, None), (0.576, None))]
    cases = [EvalCase(key=f"e2e-{i}", question=f"Which policy covers case {i}?", answer=f"Case {i} is covered [1].",
                      sources=[], model="local/extractive", index_version=version) for i in range(3)]
    thresholds = {"grounding": 0.5, "citation_validity": 0.9}
    summary = summarize(scores)
    verdict = check("sample", summary, thresholds, [], 0.1, 1, 0.5)
    config = {"thresholds": thresholds, "checks_passed": sorted(verdict.healthy), "not_enough_data": verdict.lacking}
    store = EvalStore(app.state_url)
    run_id = store.start("sample", model="local/extractive", index_version=version, config=config)
    details = [{"retrieved_ids": [c.chunk_id for c in chunks], "reference_ids": []}] * 3
    store.finish(run_id, cases, scores, details, summary=summary, status=verdict.status, findings=verdict.findings,
                 config=config)
    return chunks[0].text


def test_one_run_draws_dated_readable_charts_and_opens_an_answer_on_its_chunks(app: Any, page: Any) -> None:
    first_chunk = seed_one_run(app)
    sign_in(page, app.url, "ann")
    page.goto(f"{app.url}/evaluation")
    page.get_by_role("heading", name="Evaluation").wait_for(timeout=120_000)
    wait_idle(page)
    page.wait_for_function(f"() => ({CHART_TEXTS_JS})().some(t => t.includes('0.576'))", timeout=60_000)
    texts = page.evaluate(CHART_TEXTS_JS)
    ticks = [datetime.strptime(f"{t} 2000", "%d %b %H:%M %Y") for t in texts if re.fullmatch(r"\d\d [A-Z][a-z]{2} \d\d:\d\d", t)]
    assert len(ticks) >= 2, texts  # dated ticks on the time axis, around the run
    assert {"0.0", "0.5", "1.0"} <= set(texts), texts  # a 0-1 axis, not one tick at the value
    assert not [t for t in texts if "0.000000" in t], texts
    assert page.get_by_text("not enough data").first.is_visible()
    screenshot(page, "evaluation-before")

    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Open answer").locator("input")
    picker.click()
    picker.fill("case 1")  # the search box of the select: one option left
    page.get_by_role("option", name=re.compile("Which policy covers case 1")).click()
    wait_idle(page)
    opened = page.locator('[data-testid="stExpander"]').filter(has_text=re.compile(r"1\. .+, page \d+"))
    opened.first.click()
    details = opened.first.locator('[data-testid="stExpanderDetails"]')
    details.wait_for()
    assert first_chunk.split()[0] in details.inner_text()
    screenshot(page, "evaluation-after")
