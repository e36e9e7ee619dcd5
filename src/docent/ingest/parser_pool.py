"""Parsing in separate processes, with a per-file time limit, in input order.

Workers are spawned (not forked: the parent holds model and index threads), import only the
partitioners the run's file types need, and parse up to ``PARSE_AHEAD`` files ahead of the
consumer, so parsing overlaps whatever the consumer does with the results. A file that hangs or
kills its parser becomes an error result; the run goes on.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from docent.ingest.scan import IMAGE_KINDS
from docent.ingest.sources import SourceFile
from docent.ingest.worker import WorkResult, load_and_parse, warm_up
from docent.settings import ParseSettings

OCR_SUFFIXES = {"pdf", "jpeg", "tif", *IMAGE_KINDS}
PARSE_AHEAD = 512  # files queued to the parser processes while the consumer works


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
    with ProcessPool(max_workers=workers, context=ctx, initializer=warm_up, initargs=limits) as pool:

        def submit(f: SourceFile):
            args = (f.uri, known_hashes.get(f.uri), settings, storage_options, f.target)
            return f, pool.schedule(load_and_parse, args=args, timeout=time_limit(f.name, settings))

        queue = iter(files)
        inflight: deque = deque(submit(f) for _, f in zip(range(PARSE_AHEAD), queue))
        while inflight:
            f, future = inflight.popleft()
            nxt = next(queue, None)
            if nxt is not None:
                inflight.append(submit(nxt))
            yield f, _result(future, time_limit(f.name, settings))


def time_limit(name: str, settings: ParseSettings) -> float:
    """A file's parse time limit: ``parsing.timeout_s``, plus ``parsing.ocr_timeout_s`` for a PDF
    or a picture (its pages may be OCR'd; the OCR itself stops at its own limit, with a reason)."""
    may_ocr = settings.ocr != "off" and Path(name).suffix.lower().lstrip(".") in OCR_SUFFIXES
    return settings.timeout_s + (settings.ocr_timeout_s if may_ocr else 0)


def _result(future, timeout_s: float) -> WorkResult:
    try:
        return future.result()
    except FutureTimeout:
        return WorkResult("", error=f"parsing took longer than {timeout_s:g} s (parsing.timeout_s)", stage="parse")
    except ProcessExpired as exc:
        return WorkResult("", error=f"parser process died (exit code {exc.exitcode}; out of memory? "
                          "see parsing.max_worker_memory_mb)", stage="parse")
    except OSError as exc:
        return WorkResult("", error=f"cannot read file: {exc}", stage="read")
