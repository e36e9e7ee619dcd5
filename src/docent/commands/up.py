"""``docent up`` (what ``make up`` runs): every service of a local installation under one supervisor.

Dagster (UI and daemon), the Streamlit app, the HTTP API, a Prefect server and a worker running the
deployments of prefect.yaml. Each child gets a session (process group) of its own, so a Ctrl-C reaches
only this supervisor, which stops the children one by one in the reverse order of their start: SIGINT
to the child's group (each engine's own shutdown, as a Ctrl-C in its own terminal), a bounded wait,
then SIGKILL to the group and to any process that left it. A second Ctrl-C skips the waits.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil
import typer

from docent.commands.common import PROJECT_ROOT, err


@dataclass
class Child:
    """A started service (or set-up step): its process, how long its shutdown may take, and the thread
    relaying its output."""

    name: str
    process: subprocess.Popen
    grace_s: float
    printer: threading.Thread


class Supervisor:
    """Starts children in their own process groups, relays their output line by line with their name,
    and stops them in reverse order with bounded waits."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.children: list[Child] = []
        self.stopping = threading.Event()  # a Ctrl-C (SIGINT), SIGTERM or SIGHUP arrived
        self.hurry = threading.Event()  # a second one: no more waiting
        self.lock = threading.Lock()

    def on_signal(self, signum: int, _frame: object) -> None:
        (self.hurry if self.stopping.is_set() else self.stopping).set()

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None, grace_s: float = 10.0) -> Child:
        process = subprocess.Popen(argv, cwd=self.cwd, env={**self.env, **(env or {})}, start_new_session=True,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace", bufsize=1)
        printer = threading.Thread(target=self._relay, args=(name, process.stdout), daemon=True)
        printer.start()
        child = Child(name, process, grace_s, printer)
        self.children.append(child)
        return child

    def _relay(self, name: str, stream: Iterable[str]) -> None:
        for line in stream:
            self.say(name, line.rstrip("\n"))

    def say(self, name: str, line: str) -> None:
        with self.lock:
            print(f"{name:<14}| {line}", flush=True)

    def step(self, name: str, argv: list[str], env: dict[str, str] | None = None, timeout_s: float = 300.0) -> bool:
        """Run a set-up command to its end; False if it failed, timed out or the supervisor is stopping."""
        child = self.start(name, argv, env)
        deadline = time.monotonic() + timeout_s
        while child.process.poll() is None and time.monotonic() < deadline and not self.stopping.wait(0.2):
            pass
        if child.process.returncode is None:
            self._stop(child)
        self.children.remove(child)
        child.printer.join(timeout=2)
        return child.process.returncode == 0

    def wait_for(self, url: str, timeout_s: float) -> bool:
        """Poll ``url`` until it answers 200; False on timeout, on stopping, or when a child has ended."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not self.stopping.is_set() and self.ended() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            self.stopping.wait(0.5)
        return False

    def ended(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            self._stop(child)
            child.printer.join(timeout=2)

    def _stop(self, child: Child) -> None:
        process = child.process
        family = _descendants(process.pid)
        if process.poll() is None:
            self.say("up", f"stopping {child.name}")
            _signal_group(process.pid, signal.SIGINT)
            deadline = time.monotonic() + child.grace_s
            while process.poll() is None and time.monotonic() < deadline and not self.hurry.wait(0.1):
                pass
            family = list({*family, *_descendants(process.pid)})  # and those started during the shutdown
        _signal_group(process.pid, signal.SIGKILL)  # whatever the engine's shutdown left in its group
        for p in family:  # and any descendant that made a session of its own
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        process.wait()
        psutil.wait_procs(family, timeout=5)
        self.say("up", f"{child.name} stopped ({_exit(process.returncode)})")


def _descendants(pid: int) -> list[psutil.Process]:
    """Every process below ``pid`` now (none once it has been reaped)."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:  # the group is empty: everyone has exited
        pass


def _exit(code: int | None) -> str:
    return f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit {code}"


def up_command(
    app_port: int = typer.Option(8501, help="The Streamlit app's port."),
    api_port: int = typer.Option(8000, help="The HTTP API's port."),
    dagster_port: int = typer.Option(3000, help="The Dagster UI's port."),
    prefect_port: int = typer.Option(4200, help="The Prefect server's port (UI and API)."),
    state_dir: Path = typer.Option(Path(".docent"), help="Where Dagster's and Prefect's own state lives "
                                   "(dagster/ and prefect/), relative to the project folder."),
    startup_timeout: float = typer.Option(180.0, help="Seconds each service may take to answer."),
) -> None:
    """Start the app, the API, Dagster (UI, daemon: sensor, schedule, runs) and Prefect (server, worker) together.
    Ctrl-C stops them all, in order."""
    host, ports = "127.0.0.1", {"app": app_port, "api": api_port, "dagster": dagster_port, "prefect": prefect_port}
    state = (PROJECT_ROOT / state_dir).resolve()
    dagster_home, prefect_home = state / "dagster", state / "prefect"
    dagster_home.mkdir(parents=True, exist_ok=True)
    prefect_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "configs" / "dagster.yaml", dagster_home / "dagster.yaml")
    prefect_env = {"PREFECT_HOME": str(prefect_home), "PREFECT_API_URL": f"http://{host}:{prefect_port}/api",
                   "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    sup = Supervisor(PROJECT_ROOT, {**os.environ, "DOCENT_ROOT": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"})
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, sup.on_signal)
    try:
        if _start_all(sup, host, ports, dagster_home, prefect_env, startup_timeout):
            sup.say("up", "ready: " + ", ".join(f"{name} http://{host}:{port}" for name, port in ports.items())
                    + " (Ctrl-C stops everything)")
            while not sup.stopping.is_set() and sup.ended() is None:
                sup.stopping.wait(0.5)
        if not sup.stopping.is_set():
            gone = sup.ended()
            sup.say("up", f"{gone.name} ended ({_exit(gone.process.returncode)})" if gone else "not ready in time")
    finally:
        sup.stop_all()
    if not sup.stopping.is_set():
        err.print("docent up: a service did not start or ended; its lines above say why")
        raise typer.Exit(1)


def _urls(host: str, ports: dict[str, int]) -> dict[str, str]:
    """What answers 200 once each service is ready."""
    paths = {"app": "/_stcore/health", "api": "/health", "dagster": "/server_info", "prefect": "/api/health"}
    return {name: f"http://{host}:{port}{paths[name]}" for name, port in ports.items()}


def _start_all(sup: Supervisor, host: str, ports: dict[str, int], dagster_home: Path,
               prefect_env: dict[str, str], timeout_s: float) -> bool:
    """Start every service (the Prefect worker once the server answers and the deployments are made);
    True when all of them answer."""
    dagster, docent, prefect = ([sys.executable, "-m", module] for module in ("dagster", "docent.cli", "prefect"))
    urls = _urls(host, ports)
    sup.start("dagster", [*dagster, "dev", "-h", host, "-p", str(ports["dagster"])], {"DAGSTER_HOME": str(dagster_home)},
              grace_s=30)
    sup.start("app", [*docent, "app", "--host", host, "--port", str(ports["app"])])
    sup.start("api", [*docent, "serve", "--host", host, "--port", str(ports["api"])])
    sup.start("prefect-server", [*prefect, "server", "start", "--host", host, "--port", str(ports["prefect"])],
              prefect_env, grace_s=20)
    if not (sup.wait_for(urls["prefect"], timeout_s)
            and sup.step("prefect-pool", [*prefect, "work-pool", "create", "docent-local", "--type", "process",
                                          "--overwrite"], prefect_env)
            and sup.step("prefect-deploy", [*prefect, "--no-prompt", "deploy", "--all"], prefect_env)):
        return False
    sup.start("prefect-worker", [*prefect, "worker", "start", "--pool", "docent-local"], prefect_env, grace_s=20)
    return all(sup.wait_for(url, timeout_s) for url in urls.values())
