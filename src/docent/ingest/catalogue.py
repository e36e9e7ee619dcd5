"""The documents of an index version as people ask about them, from its manifest records.

Each is in one of three states: indexed; quarantined (read, then refused: the stage and reason
say why); or skipped (never read, by rule: a link out of the source, a FIFO; recorded at stage
"skipped"). ``GET /v1/documents`` lists them; ``docent status`` and the Ingestion page show the
same records, the page naming each by its :class:`Locator`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, get_args

from docent.ingest.manifest import DocumentRecord, Manifest
from docent.ingest.plan import SKIPPED
from docent.ingest.sources import display_name, normalise_root, path_or_url, path_within

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


class Locator:
    """Names a document as a person recognises it, without the server's folders: by its source (the source's
    last segment) and its path within it. Built once for a page of documents: normalising a root resolves it
    on disk. A document under none of the roots (a source since removed from the settings) is named by its file
    name alone, its source left blank."""

    def __init__(self, roots: list[str]):
        self.roots = sorted({normalise_root(r) for r in roots}, key=len, reverse=True)  # the innermost root wins

    def located(self, uri: str) -> tuple[str, str]:
        """(source, path within it)."""
        root, path = self._found(uri)
        return display_name(root) if root else "", path

    def redacted(self, text: str, uri: str) -> str:
        """``text`` (an error's message, which often names the file by its server path) with the document's path
        and its source's folder written as they are located: ``docs/hr/leave.md``, ``docs``."""
        root, path = self._found(uri)
        names = {uri: f"{display_name(root)}/{path}" if root else path}
        if root:
            names[root] = display_name(root)  # after the document: a source that is one file is named once
        names.update({path_or_url(where): name for where, name in list(names.items())})
        for where in sorted(names, key=len, reverse=True):  # a document's path before its source's
            text = text.replace(where, names[where])
        return text

    def _found(self, uri: str) -> tuple[str | None, str]:
        """The root ``uri`` is under (None: none of them) and its path there."""
        for root in self.roots:
            path = path_within(uri, root)
            if path is not None:
                return root, path
        return None, display_name(uri)


def _stamp(at: datetime | None) -> datetime:
    """SQLite gives naive UTC times back; Postgres aware ones: compared as aware."""
    if at is None:
        return _EPOCH
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
