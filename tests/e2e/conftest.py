"""Browser tests: the Streamlit app as a real process over the ingested samples, driven by Debian's chromium.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``.ci/run`` installs it).
A failing test leaves a screenshot in ``test-artifacts/<test name>.png`` and the app's log in its report.
The helpers below (``prepare_data``, ``AppServer``, ``launch_browser``, ``sign_in``, ``ask``...) are also
used by ``benchmarks/app_latency.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from docent.devtools.local_server import free_port

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "acme"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("DOCENT_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "e2e-password-1"
USERS = {"alice": "reviewer", "ann": "analyst", "root": "admin"}
BASE_ENV = {
    "DOCENT_EMBEDDING__BACKEND": "torch",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

CHAT_INPUT = '[data-testid="stChatInputTextArea"]'
# The newest assistant message's answer text (markdown outside buttons, expanders and captions), as the user sees it.
ANSWER_JS = """() => {
  const msgs = [...document.querySelectorAll('[data-testid="stChatMessage"]')]
    .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'));
  const last = msgs[msgs.length - 1];
  if (!last) return {count: 0, text: ""};
  const parts = [...last.querySelectorAll('[data-testid="stMarkdownContainer"]')].filter(el =>
    !el.closest('button, [data-testid="stExpander"], [data-testid="stCaptionContainer"], [data-testid="stAlert"]'));
  return {count: msgs.length, text: parts.map(el => el.innerText).join("\\n").trim()};
}"""
# Records, in page time, when Enter is pressed in the chat input and every change of the new answer's text,
# and (epoch ms, comparable with the fake LLM server's log) every click on a button.
WATCH_JS = """(answerJs) => {
  const answer = eval(answerJs);
  const w = window.__docent = {baseline: answer().count, t0: null, first: null, samples: [], clicks: []};
  document.addEventListener("click", e => { if (e.target.closest("button")) w.clicks.push(Date.now()); }, true);
  document.addEventListener("keydown", e => {
    if (e.key === "Enter" && w.t0 === null && e.target.matches('[data-testid="stChatInputTextArea"]')) w.t0 = performance.now();
  }, true);
  const look = () => {
    const a = answer();
    if (w.t0 === null || a.count <= w.baseline || !a.text) return;
    const now = performance.now();
    if (w.first === null) w.first = now;
    const last = w.samples[w.samples.length - 1];
    if (!last || last[1] !== a.text.length) w.samples.push([now - w.t0, a.text.length]);
  };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def chromium_missing_message() -> str:
    return (f"chromium is not installed at {CHROMIUM}: run .ci/run (as root), or "
            "`apt-get install chromium`; the browser tests never download a browser")


def docent(args: list[str], data_dir: Path, stdin: str | None = None, timeout: float = 600) -> str:
    """Run the CLI as a user would, in a real process; AssertionError with its output when it fails."""
    env = {**os.environ, **BASE_ENV, "DOCENT_DATA_DIR": str(data_dir)}
    proc = subprocess.run([sys.executable, "-m", "docent.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO)
    if proc.returncode != 0:
        raise AssertionError(f"docent {args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def prepare_data(root: Path) -> Path:
    """Copy samples/acme under ``root``, ingest it with the CLI and add the USERS; returns the data dir."""
    docs, data = root / "docs", root / "data"
    shutil.copytree(SAMPLES, docs)
    docent(["ingest", str(docs)], data)
    for name, role in USERS.items():
        docent(["users", "add", name, "--role", role, "--password-stdin"], data, stdin=PASSWORD + "\n")
    return data


def clone_data(data: Path, to: Path) -> Path:
    """A private copy of an ingested data dir (index, state store), so app instances never share state."""
    shutil.copytree(data, to)
    return to


@dataclass
class AppServer:
    """``streamlit run app/server.py`` on a free loopback port, with DOCENT_* settings from ``env``, until healthy."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    startup_timeout: float = 120.0
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'docent.db'}"

    health_path = "/_stcore/health"

    def command(self) -> list[str]:
        """The server's command line (subclasses serve something else, or add options)."""
        return [sys.executable, "-m", "streamlit", "run", "app/server.py", "--server.headless", "true",
                "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]

    def start(self) -> AppServer:
        self.port = self.port or free_port()
        self.log_path = self.log_path or self.data_dir.parent / f"server-{self.port}.log"
        env = {**os.environ, **BASE_ENV, "DOCENT_DATA_DIR": str(self.data_dir), "NO_PROXY": "127.0.0.1,localhost",
               **self.env}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command(), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with opener.open(f"{self.url}{self.health_path}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the app was not healthy within {self.startup_timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch_browser(playwright: Any) -> Any:
    """Debian's chromium through Playwright (headless, sandbox off: CI runs as root)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(chromium_missing_message())
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page: Any, url: str, username: str = "alice", password: str = PASSWORD) -> None:
    """Open the app, sign in with the local form and wait for the chat page."""
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator(CHAT_INPUT).wait_for(state="visible", timeout=120_000)


def answer(page: Any) -> dict:
    """{count: assistant messages on the page, text: the newest one's answer text}."""
    return page.evaluate(ANSWER_JS)


def ask(page: Any, question: str) -> None:
    """Type the question in the chat input and press Enter, watching the answer's text as it arrives."""
    box = page.locator(CHAT_INPUT)
    box.fill(question)
    page.evaluate(WATCH_JS, ANSWER_JS)
    box.press("Enter")


def first_token_ms(page: Any, timeout_s: float = 60) -> float:
    """Milliseconds from Enter to the first answer text on screen (page clock)."""
    page.wait_for_function("() => window.__docent && window.__docent.first !== null", timeout=timeout_s * 1000)
    return page.evaluate("() => window.__docent.first - window.__docent.t0")


def text_samples(page: Any) -> list[tuple[float, int]]:
    """(ms after Enter, answer length) each time the visible answer changed."""
    return [tuple(s) for s in page.evaluate("() => window.__docent.samples")]


def button_clicks(page: Any) -> list[float]:
    """Epoch seconds of each button click since ``ask`` (when the browser dispatched it, not when Playwright began)."""
    return [ms / 1000 for ms in page.evaluate("() => window.__docent.clicks")]


def screenshot(page: Any, name: str) -> Path:
    """Keep a picture of the page as a test artifact (``test-artifacts/screens/<name>.png``, not in git),
    e.g. a page before and after an action, for people reviewing a change."""
    path = ARTIFACTS / "screens" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_idle(page: Any, timeout_s: float = 60) -> None:
    """Wait until no script run is in progress (Streamlit marks the app ``data-test-script-state``)."""
    page.wait_for_function(
        """() => document.querySelector('[data-test-script-state]')?.getAttribute('data-test-script-state') === 'notRunning'""",
        timeout=timeout_s * 1000)


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed() -> None:
    """Fail (never skip) every browser test at once, before the slow setup, when chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(chromium_missing_message(), pytrace=False)


def _serve(tmp_path_factory: pytest.TempPathFactory, acme_data: Path, name: str, env: dict[str, str]) -> Iterator[AppServer]:
    data = clone_data(acme_data, tmp_path_factory.mktemp(name) / "data")
    with AppServer(data, env) as server:
        yield server


@pytest.fixture(scope="package")
def app(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Iterator[AppServer]:
    """The app with default settings: the local extractive model, review policy ``auto``; one server for every
    browser test module (each starts ~20 s), so a test makes its own users rather than change the shared ones."""
    yield from _serve(tmp_path_factory, acme_data, "app", {})


@pytest.fixture(scope="module")
def slow_app(tmp_path_factory: pytest.TempPathFactory, acme_data: Path, fake_llm: Any) -> Iterator[AppServer]:
    """The app answering through the fake OpenAI server: 400 tokens, 30 ms apart (12 s), run key ``e2e-stop``."""
    env = {"DOCENT_CHAT__MODEL": "openai/fake:tokens=400;token_ms=30;run=e2e-stop",
           "DOCENT_CHAT__API_BASE": fake_llm.base_url, "DOCENT_CHAT__API_KEY": "fake", "DOCENT_CACHE__ANSWERS": "false"}
    yield from _serve(tmp_path_factory, acme_data, "slow-app", env)


@pytest.fixture(scope="module")
def review_app(tmp_path_factory: pytest.TempPathFactory, acme_data: Path) -> Iterator[AppServer]:
    """The app with review policy ``always``: every answer waits for a reviewer."""
    yield from _serve(tmp_path_factory, acme_data, "review-app", {"DOCENT_REVIEW__POLICY": "always"})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per module (Debian's, never a downloaded one). Not per session: Playwright's sync API
    keeps an event loop running in the main thread while it is open, and later tests call asyncio.run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (a new Streamlit session) and page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """On failure: a screenshot of the page in test-artifacts/, and the tail of every app log in the report."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        funcargs = getattr(item, "funcargs", {})
        pg = funcargs.get("page")
        if pg is not None and not pg.is_closed():
            ARTIFACTS.mkdir(exist_ok=True)
            path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.name)}.png"
            try:
                pg.screenshot(path=str(path), full_page=True)
                report.sections.append(("screenshot", str(path)))
            except Exception as exc:  # a crashed page must not hide the test's own failure
                report.sections.append(("screenshot", f"failed: {exc}"))
        for value in funcargs.values():
            if isinstance(value, AppServer):
                report.sections.append((f"app log ({value.url})", value.log_tail()))
    return report
