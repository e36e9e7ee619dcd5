"""`docent up`'s supervisor with small real processes: reverse order, bounded waits, nothing left behind."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil

from docent.commands.up import Supervisor

# Ignores SIGINT (a service whose shutdown hangs) and starts a grandchild in a session of its own.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print("grandchild", child.pid, flush=True)
time.sleep(600)
"""
POLITE = "import time\nprint('ready', flush=True)\ntry:\n    time.sleep(600)\nexcept KeyboardInterrupt:\n    pass\n"


def test_stop_all_goes_in_reverse_order_and_kills_what_ignores_sigint(tmp_path: Path, capsys):
    sup = Supervisor(tmp_path, dict(os.environ))
    stubborn = sup.start("stubborn", [sys.executable, "-c", STUBBORN], grace_s=1)
    polite = sup.start("polite", [sys.executable, "-c", POLITE])
    deadline, out = time.monotonic() + 30, ""
    while not psutil.Process(stubborn.process.pid).children() or "polite        | ready" not in out:
        assert time.monotonic() < deadline, out  # until SIGINT is ignored, the grandchild started, polite waits
        time.sleep(0.1)
        out += capsys.readouterr().out
    family = psutil.Process(stubborn.process.pid).children(recursive=True)

    started = time.monotonic()
    sup.stop_all()
    assert time.monotonic() - started < 10  # polite at once, stubborn after its 1 s grace
    lines = [line.split("| ", 1)[1] for line in capsys.readouterr().out.splitlines() if line.startswith("up ")]
    assert lines == ["stopping polite", "polite stopped (exit 0)", "stopping stubborn", "stubborn stopped (signal SIGKILL)"]
    assert polite.process.returncode == 0
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family)  # the grandchild too
