"""The app as a user sees it, in a real browser (Debian's chromium through Playwright).

(a) First token visible: from pressing Enter in the chat input to the first answer text on screen, with the
    local extractive model, over 10 questions (one warm-up question first, reported apart). Target: p95 <= 500 ms.
(b) The Review page with 10,000 queued items: from clicking "Review" in the sidebar to the table and its
    item count on screen, the script run finished (page clock). Target: <= 1 s.

The app runs as ``streamlit run app/server.py`` over samples/acme, ingested with the CLI into a temp dir
(the helpers are the browser tests', tests/e2e/conftest.py). Needs /usr/bin/chromium (``.ci/run`` installs it).

    python benchmarks/app_latency.py [--questions 10] [--items 10000] [--rounds 6] [--json] [--no-post-script-gc]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import (  # noqa: E402
    ANSWER_JS,
    AppServer,
    ask,
    first_token_ms,
    launch_browser,
    prepare_data,
    sign_in,
    wait_idle,
)

QUESTIONS = [
    "How many weeks of parental leave does the secondary caregiver get?",
    "What is the hotel cap in New York?",
    "How many paid sick days do US employees get?",
    "How much are meals reimbursed per day?",
    "How often are laptops replaced?",
    "What was revenue in Q3 2025?",
    "Who leads the Lyon lab?",
    "How do I print?",
    "What is the hotel cap in Lisbon?",
    "Where are Acme's offices?",
    "Which holidays are in the 2026 calendar?",
    "What does the Porter P2 launch announcement say?",
]
WARM_UP = "How long is parental leave?"
REASONS = ["sample", "low_grounding", "low_retrieval", "topic", "always", "feedback"]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def new_conversation(page: Any) -> None:
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function(f"() => ({ANSWER_JS})().count === 0")
    wait_idle(page)


def first_tokens(page: Any, questions: list[str]) -> tuple[float, list[float]]:
    """(warm-up ms, ms per question): Enter to the first answer text, each question in a new conversation."""
    timings = []
    for i, question in enumerate([WARM_UP, *questions]):
        if i:
            new_conversation(page)
        ask(page, question)
        ms = first_token_ms(page)
        wait_idle(page)
        timings.append(ms)
        print(f"  {ms:7.0f} ms  {question}{'  (warm-up)' if not i else ''}", flush=True)
    return timings[0], timings[1:]


def fill_queue(state_url: str, items: int) -> float:
    """Record ``items`` answered questions and queue each for review; returns the seconds it took."""
    from docent.review.queue import ReviewQueue
    from docent.store.chat import ChatStore

    store, queue, rng = ChatStore(state_url), ReviewQueue(state_url), random.Random(7)
    began, start = time.perf_counter(), datetime.now(timezone.utc) - timedelta(days=30)
    for i in range(items):
        question = f"{QUESTIONS[i % len(QUESTIONS)]} (variant {i})"
        text = f"Answer {i}: see the handbook [1]."
        _, message_id = store.record_question(conversation_id=None, question=question, model="local/extractive",
                                              filters=None, user_id="app-latency-benchmark",
                                              created_at=start + timedelta(seconds=i * 200))
        store.transition(message_id, "streaming", started_at=datetime.now(timezone.utc), owner="app-latency-benchmark")
        store.finalize(message_id, state="completed", content=text)
        queue.enqueue(message_id, reason=REASONS[i % len(REASONS)], held=i % 3 == 0, question=question, answer=text,
                      model="local/extractive", index_version="bench", grounding_score=rng.random(),
                      retrieval_score=rng.uniform(-1, 3))
        if (i + 1) % 2000 == 0:
            print(f"  queued {i + 1:,} items ({time.perf_counter() - began:.0f} s)", flush=True)
    return time.perf_counter() - began


# Watches one navigation: from the click on a sidebar link (page clock) until the Review table, its
# "page x of y · n items" caption and the end of the script run are all on screen.
REVIEW_WATCH_JS = """() => {
  const w = window.__review = {clicked: null, done: null, items: null};
  document.querySelector('[data-testid="stSidebarNav"]').addEventListener("click", () => {
    if (w.clicked === null) w.clicked = performance.now();
  }, true);
  const look = () => {
    if (w.clicked === null || w.done !== null) return;
    const app = document.querySelector('[data-test-script-state]');
    const caption = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
      .map(el => el.innerText).find(t => /page \\d+ of \\d+ · [\\d,]+ items/.test(t));
    if (caption && document.querySelector('[data-testid="stDataFrame"] canvas')
        && app.getAttribute('data-test-script-state') === 'notRunning') {
      w.done = performance.now();
      w.items = Number(caption.match(/([\\d,]+) items/)[1].replace(/,/g, ""));
    }
  };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def review_renders(page: Any, items: int, rounds: int) -> list[float]:
    """Seconds from the click on "Review" to the table and its item count on screen, the run finished; per round."""
    nav, seconds = page.locator('[data-testid="stSidebarNav"]'), []
    for _ in range(rounds):
        nav.get_by_text("Chat", exact=True).click()
        page.get_by_role("heading", name="Chat", exact=True).wait_for()
        wait_idle(page)
        page.evaluate(REVIEW_WATCH_JS)
        nav.get_by_text("Review", exact=True).click()
        page.wait_for_function("() => window.__review.done !== null")
        result = page.evaluate("() => window.__review")
        assert result["items"] >= items, f"the Review page lists {result['items']} items, expected at least {items}"
        seconds.append((result["done"] - result["clicked"]) / 1000)
        print(f"  {seconds[-1]:.3f} s{'  (first visit)' if len(seconds) == 1 else ''}", flush=True)
    return seconds


def server_ttft_ms(state_url: str, questions: list[str]) -> list[float]:
    """The chat service's own time to first token (metrics.ttft_ms) for the newest answer to each question."""
    from docent.review.users import UserStore
    from docent.store.chat import ChatStore

    store, found, asker = ChatStore(state_url), {}, UserStore(state_url).get("alice")
    for conversation in store.list_conversations([asker.id], limit=len(questions) + 10):
        for m in store.messages(conversation.id):
            if m.role == "assistant" and m.question in questions and m.question not in found:
                found[m.question] = (m.metrics or {}).get("ttft_ms")
    return [found[q] for q in questions if found.get(q) is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=6, help="Review page renders to time")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    parser.add_argument("--no-post-script-gc", action="store_true",
                        help="run the app with runner.postScriptGC off (Streamlit's full GC after every script run)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="docent-app-bench-") as tmp:
        print("ingesting samples/acme and adding users…", flush=True)
        data = prepare_data(Path(tmp))
        env = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "false"} if args.no_post_script_gc else {}
        with AppServer(data, env) as app, sync_playwright() as p:
            browser = launch_browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            sign_in(page, app.url)

            print(f"(a) first token visible, local/extractive, {args.questions} questions:", flush=True)
            asked = (QUESTIONS * 2)[: args.questions]
            warm, ms = first_tokens(page, asked)
            p50, p95 = statistics.median(ms), percentile(ms, 95)
            print(f"    p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(ms):.0f} ms (warm-up {warm:.0f} ms); target p95 <= 500 ms")
            server = server_ttft_ms(app.state_url, asked)
            if server:
                print(f"    the chat service's own TTFT: p50 {statistics.median(server):.0f} ms, "
                      f"p95 {percentile(server, 95):.0f} ms (the rest is Streamlit and the browser)")

            print(f"(b) Review page with {args.items:,} queued items:", flush=True)
            filled = fill_queue(app.state_url, args.items)
            print(f"  queued in {filled:.1f} s", flush=True)
            renders = review_renders(page, args.items, args.rounds)
            warm_renders = renders[1:] or renders
            print(f"    first visit {renders[0]:.3f} s; then median {statistics.median(warm_renders):.3f} s, "
                  f"max {max(warm_renders):.3f} s; target <= 1 s")
            browser.close()
    if args.json:
        print(json.dumps({
            "first_token_ms": {"p50": round(p50), "p95": round(p95), "max": round(max(ms)), "warm_up": round(warm),
                               "all": [round(x) for x in ms]},
            "server_ttft_ms": {"p50": round(statistics.median(server)), "p95": round(percentile(server, 95))} if server else None,
            "review_render_s": {"first": round(renders[0], 3), "median": round(statistics.median(warm_renders), 3),
                                "max": round(max(warm_renders), 3), "items": args.items, "all": [round(x, 3) for x in renders]},
        }))


if __name__ == "__main__":
    main()
