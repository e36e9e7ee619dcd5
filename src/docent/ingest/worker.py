"""What runs in the parser processes: read one source, hash it, parse it if it changed.

Kept apart from the pipeline so a spawned worker imports only what parsing needs (not the
embedding model), and so a hung or crashing parser can be killed without touching the run.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")

from docent.ingest.parse import Element, ParseError, parse_bytes, preload  # noqa: E402
from docent.ingest.sources import read_bytes  # noqa: E402


@dataclass(frozen=True)
class WorkResult:
    """``elements`` is None when the bytes are unchanged; ``error`` is set when parsing failed."""

    content_hash: str
    elements: list[Element] | None = None
    error: str | None = None


def warm_up(filenames: list[str] | None = None) -> None:
    """Pool initializer: the parsers' imports happen before any per-file time limit runs."""
    preload(filenames)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # per-glyph colour warnings, not actionable


def load_and_parse(uri: str, known_hash: str | None, strategy: str, storage_options: dict | None) -> WorkResult:
    data = read_bytes(uri, storage_options)
    digest = hashlib.sha256(data).hexdigest()
    if digest == known_hash:
        return WorkResult(digest)
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    try:
        return WorkResult(digest, elements=parse_bytes(data, name, strategy=strategy).elements)
    except ParseError as exc:
        return WorkResult(digest, error=exc.reason)
    except Exception as exc:  # a parser bug must quarantine one file, never stop the run
        return WorkResult(digest, error=f"parser failed: {type(exc).__name__}: {exc}"[:500])
