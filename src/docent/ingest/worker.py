"""What runs in the parser processes: read one source, hash it, parse it if it changed.

Kept apart from the pipeline so a spawned worker imports only what parsing needs (not the
embedding model), and so a hung or crashing parser can be killed without touching the run.
"""

from __future__ import annotations

import hashlib
import os
import resource
from dataclasses import dataclass

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")

from docent.ingest import progress  # noqa: E402
from docent.ingest.parse import Element, ParseError, parse_bytes, preload  # noqa: E402
from docent.ingest.scan import ScanReport  # noqa: E402
from docent.ingest.sources import display_name, read_bytes  # noqa: E402
from docent.settings import ParseSettings  # noqa: E402

PARSER_NICENESS = 10


@dataclass(frozen=True)
class WorkResult:
    """``elements`` is None when the bytes are unchanged; ``error`` and ``stage`` are set on failure."""

    content_hash: str
    elements: list[Element] | None = None
    error: str | None = None
    stage: str | None = None
    scan: ScanReport | None = None


def warm_up(filenames: list[str] | None = None, memory_mb: int | None = None) -> None:
    """Pool initializer: the parsers' imports happen before any per-file time limit runs.

    Parsers run at a lower priority: they work ahead of the embedder, and the embedder's
    threads, which wait for each other, lose more than the parser gains when one is preempted.
    ``memory_mb`` caps what the process may allocate (RLIMIT_DATA, inherited by the programs it
    starts), so one hostile file cannot take the host: it fails with MemoryError, or its parser dies.
    """
    os.nice(PARSER_NICENESS)
    preload(filenames)
    if memory_mb:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def load_and_parse(uri: str, known_hash: str | None, settings: ParseSettings, storage_options: dict | None,
                   target: str = "", beat: str | None = None) -> WorkResult:
    """One file's result; with ``beat``, its progress is reported there (see :mod:`docent.ingest.progress`)."""
    progress.watch(beat)
    try:
        return _parse(uri, known_hash, settings, storage_options, target)
    finally:
        progress.watch(None)


def _parse(uri: str, known_hash: str | None, settings: ParseSettings, storage_options: dict | None,
           target: str) -> WorkResult:
    progress.tick("reading the file")
    data = read_bytes(uri, storage_options, target)
    digest = hashlib.sha256(data).hexdigest()
    if digest == known_hash:
        return WorkResult(digest)
    name = display_name(uri)
    progress.tick("parsing")
    try:
        parsed = parse_bytes(data, name, settings)
        return WorkResult(digest, elements=parsed.elements, scan=parsed.scan)
    except ParseError as exc:
        return WorkResult(digest, error=exc.reason, stage=exc.stage)
    except MemoryError:
        limit = resource.getrlimit(resource.RLIMIT_DATA)[0]
        cap = f"{limit // 2**20:,} MB, parsing.max_worker_memory_mb" if limit > 0 else "no limit set"
        return WorkResult(digest, error=f"parsing needs more memory than a parser may use ({cap})", stage="parse")
    except Exception as exc:  # a parser bug must quarantine one file, never stop the run
        return WorkResult(digest, error=f"parser failed: {type(exc).__name__}: {exc}"[:500], stage="parse")
