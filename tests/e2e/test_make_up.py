"""`make up` starts every service under one supervisor, and a Ctrl-C stops them all, in order, leaving nothing.

The real thing: make, `docent up`, Dagster (UI, daemon, code server), the Streamlit app, the API, a Prefect
server and worker, on free ports with their state in a temporary folder. ``-o setup``: the test runs the
same target but never installs (the venv is the one running the test).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil

from docent.devtools.local_server import free_port

REPO = Path(__file__).resolve().parents[2]
ORDER = ["prefect-worker", "prefect-server", "api", "app", "dagster"]  # the reverse of the start


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for_line(log: Path, pattern: str, make: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while pattern not in log.read_text(errors="replace"):
        assert make.poll() is None, f"make up ended ({make.returncode}):\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"no {pattern!r} within {timeout_s} s:\n{log.read_text()[-4000:]}"
        time.sleep(1)


def test_make_up_starts_the_uis_and_ctrl_c_stops_every_process_in_order(tmp_path: Path):
    ports = {name: free_port() for name in ("app", "api", "dagster", "prefect")}
    args = " ".join(f"--{name}-port {port}" for name, port in ports.items()) + f" --state-dir {tmp_path / 'state'}"
    env = {**os.environ, "DOCENT_DATA_DIR": str(tmp_path / "data"), "DOCENT_SYNC__SOURCES": "[]"}
    log = tmp_path / "make-up.log"
    with log.open("w") as out:  # its own process group: the terminal's foreground group, which a Ctrl-C signals
        make = subprocess.Popen(["make", "--no-print-directory", "-o", "setup", "up", f"UP_ARGS={args}"], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    family: list[psutil.Process] = []
    try:
        wait_for_line(log, "| ready: ", make, timeout_s=400)
        for url in (f"http://127.0.0.1:{ports['dagster']}/", f"http://127.0.0.1:{ports['prefect']}/",
                    f"http://127.0.0.1:{ports['app']}/", f"http://127.0.0.1:{ports['api']}/health"):
            assert answers(url), url
        family = psutil.Process(make.pid).children(recursive=True)
        assert len(family) >= 8  # docent up, dagster dev, its webserver, daemon and code server, app, API, Prefect

        started = time.monotonic()
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(timeout=180)
        stopped_in = time.monotonic() - started
        _, alive = psutil.wait_procs(family, timeout=5)
        assert alive == [], [" ".join(p.cmdline()) for p in alive]
        assert [p for p in ports.values() if listening(p)] == []
        text = log.read_text(errors="replace")
        assert re.findall(r"^up +\| stopping (\S+)$", text, re.M) == ORDER
        assert "Segmentation fault" not in text and len(re.findall("stopping", text, re.I)) < 20
        assert stopped_in < 150
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        for p in family:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
