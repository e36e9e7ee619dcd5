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

from docent.ingest.sources import SourceFile
from docent.ingest.worker import WorkResult, load_and_parse, warm_up
from docent.settings import ParseSettings

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
    with ProcessPool(max_workers=workers, context=ctx, initializer=warm_up, initargs=(kinds,)) as pool:

        def submit(f: SourceFile):
            args = (f.uri, known_hashes.get(f.uri), settings.strategy, storage_options)
            return f, pool.schedule(load_and_parse, args=args, timeout=settings.timeout_s)

        queue = iter(files)
        inflight: deque = deque(submit(f) for _, f in zip(range(PARSE_AHEAD), queue))
        while inflight:
            f, future = inflight.popleft()
            nxt = next(queue, None)
            if nxt is not None:
                inflight.append(submit(nxt))
            yield f, _result(future, settings.timeout_s)


def _result(future, timeout_s: float) -> WorkResult:
    try:
        return future.result()
    except FutureTimeout:
        return WorkResult("", error=f"parsing took longer than {timeout_s:g} s (parsing.timeout_s)", stage="parse")
    except ProcessExpired as exc:
        return WorkResult("", error=f"parser process died (exit code {exc.exitcode})", stage="parse")
    except OSError as exc:
        return WorkResult("", error=f"cannot read file: {exc}", stage="read")
