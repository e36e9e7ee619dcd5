"""Bring an index version back in line with its manifest: the repair after a crash or a bug.

The manifest says which documents are indexed and with how many chunks. Rows of a document the
manifest does not know (or knows only as quarantined) are removed. A document whose rows do not
number what the manifest says (duplicated chunk ids, a half-written batch) loses its rows and its
record, so the next ingestion of its source indexes it again, whole. Done under the version's
writer lock, so it never races an ingestion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.index.base import VectorIndex
from docent.index.promotion import count_mismatches
from docent.ingest.manifest import Manifest


@dataclass
class Reconciliation:
    orphans: dict[str, int] = field(default_factory=dict)  # doc_id -> rows the manifest does not know
    damaged: dict[str, tuple[int, int]] = field(default_factory=dict)  # doc_id -> (expected, stored)
    sources: dict[str, str] = field(default_factory=dict)  # doc_id -> source URI, where the manifest has one

    @property
    def clean(self) -> bool:
        return not self.orphans and not self.damaged


def reconcile(index: VectorIndex, manifest: Manifest, wait_s: float, repair: bool = True) -> Reconciliation:
    """What disagrees between ``index`` and ``manifest`` (and, with ``repair``, mend it)."""
    with manifest.writing(wait_s):
        records = manifest.all()
        found = Reconciliation()
        for doc_id, (expected, stored) in count_mismatches(index, records.values()).items():
            record = records.get(doc_id)
            if record is not None:
                found.sources[doc_id] = record.source_uri
            if expected == 0:
                found.orphans[doc_id] = stored
            else:
                found.damaged[doc_id] = (expected, stored)
        if repair and not found.clean:
            index.delete_documents([*found.orphans, *found.damaged])
            manifest.delete(list(found.damaged))
            index.refresh()
    return found
