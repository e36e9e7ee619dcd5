"""Parsing in separate processes, with time limits, in input order.

Workers are spawned (not forked: the parent holds model and index threads), import only the
partitioners the run's file types need, and parse up to ``PARSE_AHEAD`` files ahead of the
consumer, so parsing overlaps whatever the consumer does with the results. A file that hangs or
kills its parser becomes an error result; the run goes on.

Two limits: a parser that makes no progress (no page read, for a PDF; nothing at all, for a
file read in one piece) for ``parsing.timeout_s`` is stopped, and so is one still working after
``parsing.file_timeout_s``. A 500-page report that moves on page by page finishes on a busy
machine; one stuck page does not hold the run for half an hour.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from docent.ingest.progress import last_beat
from docent.ingest.scan import IMAGE_KINDS
from docent.ingest.sources import SourceFile
from docent.ingest.worker import WorkResult, load_and_parse, warm_up
from docent.settings import ParseSettings

OCR_SUFFIXES = {"pdf", "jpeg", "tif", *IMAGE_KINDS}
PARSE_AHEAD = 512  # files queued to the parser processes while the consumer works
BEATS_PREFIX = "docent-parsing-"  # + the run's pid: its parsers' heartbeat files


def sweep_heartbeats() -> None:
    """Remove the heartbeat folders of runs that were killed (SIGKILL leaves them): their pid is gone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{BEATS_PREFIX}*-*"):
        pid = folder.name.removeprefix(BEATS_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def parse_files(
    files: list[SourceFile],
    known_hashes: dict[str, str],
    settings: ParseSettings,
    storage_options: dict | None = None,
) -> Iterator[tuple[SourceFile, WorkResult]]:
    """(file, result) for each file, in order. ``known_hashes`` (uri -> sha256) skips unchanged bytes."""
    if not files:
        return
    kinds = sorted({"x" + Path(f.name).suffix.lower() for f in files})  # one name per file type
    ctx = multiprocessing.get_context("spawn")
    workers = min(settings.workers, len(files))
    limits = (kinds, settings.max_worker_memory_mb)
    sweep_heartbeats()
    with (tempfile.TemporaryDirectory(prefix=f"{BEATS_PREFIX}{os.getpid()}-") as beats,
          ProcessPool(max_workers=workers, context=ctx, initializer=warm_up, initargs=limits) as pool):

        def submit(n: int, f: SourceFile):
            beat = os.path.join(beats, str(n))
            args = (f.uri, known_hashes.get(f.uri), settings, storage_options, f.target, beat)
            return f, beat, pool.schedule(load_and_parse, args=args, timeout=settings.file_timeout_s)

        queue = enumerate(files)
        inflight: deque = deque(submit(n, f) for _, (n, f) in zip(range(PARSE_AHEAD), queue))
        while inflight:
            f, beat, future = inflight.popleft()
            nxt = next(queue, None)
            if nxt is not None:
                inflight.append(submit(*nxt))
            yield f, _result(future, beat, stall_limit(f.name, settings), settings.file_timeout_s)


def stall_limit(name: str, settings: ParseSettings) -> float:
    """How long a parser may go without progress: ``parsing.timeout_s``, plus one page's OCR time
    for a PDF or a picture (a page being OCR'd reports nothing until Tesseract is done with it)."""
    may_ocr = settings.ocr != "off" and Path(name).suffix.lower().lstrip(".") in OCR_SUFFIXES
    return settings.timeout_s + (settings.ocr_page_timeout_s if may_ocr else 0)


def _result(future, beat: str, stall_s: float, ceiling_s: float) -> WorkResult:
    """The parser's result; it is stopped when its heartbeat (``beat``) is older than ``stall_s``."""
    try:
        while True:
            try:
                return future.result(timeout=min(1.0, stall_s / 4))
            except FutureTimeout:
                if future.done():  # the pool stopped it at the whole-file ceiling
                    raise
            last = last_beat(beat)
            if last is not None and last.idle_s > stall_s and future.cancel():  # cancel kills the parser
                return WorkResult("", error=f"parsing made no progress for {stall_s:g} s at {last.step or 'a step it was naming'} "
                                  "(parsing.timeout_s): stopped", stage="parse")
    except FutureTimeout:
        return WorkResult("", error=f"parsing took longer than {ceiling_s:g} s in all (parsing.file_timeout_s), "
                          "although it was making progress", stage="parse")
    except ProcessExpired as exc:
        return WorkResult("", error=f"parser process died (exit code {exc.exitcode}; out of memory? "
                          "see parsing.max_worker_memory_mb)", stage="parse")
    except OSError as exc:
        return WorkResult("", error=f"cannot read file: {exc}", stage="read")
