"""Heartbeats from a parser to the pool that watches it: a stuck page is stopped, a long document is not.

A parser process writes what it is working on ("page 17") to a small file each time it moves on;
the pool (:mod:`docent.ingest.parser_pool`) reads the file's modification time and stops a parser
that has not moved on for ``parsing.timeout_s``. A file on disk, rather than a queue or shared
memory, because a parser may be killed at any instant: a half-written file is harmless, a queue
killed mid-write can block every other process that uses it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_beat: Path | None = None  # this process's heartbeat file while it parses one document


def watch(path: str | None) -> None:
    """Start (or, with None, stop) reporting the current document's progress to ``path``."""
    global _beat
    _beat = Path(path) if path else None
    tick("starting")


def tick(step: str) -> None:
    """Say the parser has moved on to ``step``; a no-op outside a watched parser process."""
    if _beat is not None:
        try:
            _beat.write_text(step)
        except OSError:  # the pool has gone (and removed its folder): nobody is watching
            pass


@dataclass(frozen=True)
class Beat:
    step: str
    idle_s: float  # seconds since the parser last moved on


def last_beat(path: str) -> Beat | None:
    """What the parser writing ``path`` last reported, and how long ago; None before it has started."""
    try:
        with open(path) as fh:
            step = fh.read()
            idle = time.time() - os.fstat(fh.fileno()).st_mtime
    except OSError:
        return None
    return Beat(step, max(0.0, idle))
