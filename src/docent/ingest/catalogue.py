"""The documents of an index version as people ask about them, from its manifest records.

Each is in one of three states: indexed; quarantined (read, then refused: the stage and reason
say why); or skipped (never read, by rule: a link out of the source, a FIFO; recorded at stage
"skipped"). ``GET /v1/documents`` lists them; ``docent status`` and the Ingestion page show the
same records.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, get_args
from urllib.parse import unquote

from docent.ingest.manifest import DocumentRecord, Manifest
from docent.ingest.plan import SKIPPED
from docent.ingest.sources import display_name, normalise_root

State = Literal["indexed", "quarantined", "skipped"]
STATES: tuple[State, ...] = get_args(State)
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def state_of(record: DocumentRecord) -> State:
    """The record's state, as the three listings of quarantines and skips tell them apart."""
    if record.status == "indexed":
        return "indexed"
    return "skipped" if record.stage == SKIPPED else "quarantined"


def listing(manifest: Manifest, state: State | None = None, limit: int | None = None) -> list[DocumentRecord]:
    """The version's records in ``state`` (all by default), most recently changed first, at most ``limit``."""
    records = [r for r in manifest.all().values() if state is None or state_of(r) == state]
    records.sort(key=lambda r: (_stamp(r.updated_at), r.source_uri), reverse=True)
    return records[:limit]


def located(uri: str, roots: list[str]) -> tuple[str, str]:
    """The source a document comes from (named by its last segment) and its path within it: what a person
    recognises, without the server's folders. A document under none of ``roots`` (a source since removed from
    the settings) is named by its file name alone, its source left blank."""
    for root in sorted({normalise_root(r) for r in roots}, key=len, reverse=True):  # the innermost root wins
        if uri.startswith(root + "/"):
            return display_name(root), unquote(uri[len(root) + 1:])
        if uri == root:  # a source that is a single file
            return display_name(root), display_name(uri)
    return "", display_name(uri)


def _stamp(at: datetime | None) -> datetime:
    """SQLite gives naive UTC times back; Postgres aware ones: compared as aware."""
    if at is None:
        return _EPOCH
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
