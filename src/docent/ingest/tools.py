"""External programs the parsers call (Tesseract, LibreOffice), each bounded by a time limit that
holds even if the calling process dies.

Every command runs under coreutils' ``timeout -s KILL``: it starts the program in a process group
of its own and kills the whole group when time is up, so no Tesseract or ``soffice.bin`` outlives
its limit, even when the parser process that started it was itself killed (``parsing.timeout_s``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

# The Debian package that provides each program: what a user is told to install.
PACKAGES = {"tesseract": "tesseract-ocr", "soffice": "libreoffice-core-nogui", "timeout": "coreutils"}
_KILLED = 128 + 9  # timeout's exit status when it had to kill the program


class ToolError(Exception):
    """A program is missing, failed or ran out of time; ``reason`` is short and meant for humans."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing  # installing something would fix it


@dataclass(frozen=True)
class Output:
    stdout: bytes
    stderr: str


@cache
def which(program: str) -> str | None:
    """The program's path, or None when it is not installed (looked up once per process)."""
    return shutil.which(program)


def missing(program: str) -> str:
    """The reason given when ``program`` is not installed, naming the Debian package to install."""
    return f"needs {program} (Debian package {PACKAGES.get(program, program)}), which is not installed"


def run(args: list[str], timeout_s: float, stdin: bytes | None = None, env: dict[str, str] | None = None,
        cwd: str | None = None) -> Output:
    """Run ``args`` to completion within ``timeout_s``; raises ToolError when it fails or is killed."""
    program = args[0]
    path, killer = which(program), which("timeout")
    if path is None or killer is None:
        raise ToolError(missing(program if path is None else "timeout"), missing=True)
    command = [killer, "-s", "KILL", f"{timeout_s:.3f}", path, *args[1:]]
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, cwd=cwd, check=False,
                              env={**os.environ, **(env or {})}, timeout=timeout_s + 10)
    except subprocess.TimeoutExpired:  # only if `timeout` itself could not kill in time
        raise ToolError(f"{program} did not finish within {timeout_s:g} s") from None
    if done.returncode in (124, _KILLED, -9):
        raise ToolError(f"{program} did not finish within {timeout_s:g} s")
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        detail = " ".join(stderr.split())[-300:] or f"exit code {done.returncode}"
        raise ToolError(f"{program} failed: {detail}")
    return Output(done.stdout, stderr)
