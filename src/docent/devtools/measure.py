"""Run a command as a user would and measure it: wall time and the peak resident memory of its
whole process tree (the CLI, its parser processes, the Tesseract or LibreOffice they start).
Used by the benchmarks that judge a run by what it takes from the host."""

from __future__ import annotations

import subprocess
import threading
import time

import psutil


def run_measured(args: list[str], env: dict[str, str], timeout_s: float | None = None,
                 ) -> tuple[subprocess.CompletedProcess, float, int]:
    """``args``' result, its seconds, and its process tree's peak RSS in bytes (sampled every 20 ms)."""
    started = time.perf_counter()
    proc = psutil.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            try:
                tree = [proc, *proc.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        for p in [*proc.children(recursive=True), proc]:
            p.kill()
        out, err = proc.communicate()
    watcher.join()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), time.perf_counter() - started, peak[0]
