"""What a sync of one source has to do, decided from a listing and the manifest alone.

Files whose size and modification time match their record are unchanged and are never read,
except those quarantined because a program was missing (stage "tool": Tesseract, LibreOffice),
which every run tries again, so installing the program is all it takes.
Files under the root that the listing no longer shows are to be deleted, unless that would
remove more than ``sync.max_delete_share`` of the root's documents: a truncated or failed
listing must never empty the index, so such a plan deletes nothing and says why.
Files the listing refused (a link out of the source, a FIFO) are skipped: recorded unread, at
stage "skipped", so every listing of quarantines shows them apart, with their reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.ingest.chunk import doc_id_for
from docent.ingest.manifest import DocumentRecord
from docent.ingest.sources import SourceFile, normalise_root, path_within
from docent.settings import Settings

SKIPPED = "skipped"  # the stage of a file never read (sync.symlinks, special files)


@dataclass
class Plan:
    todo: list[SourceFile] = field(default_factory=list)  # new, or size/mtime changed: read, hash, maybe parse
    unchanged: list[SourceFile] = field(default_factory=list)
    skipped: list[tuple[SourceFile, str]] = field(default_factory=list)  # (file, reason): never read, by rule
    refused: list[tuple[SourceFile, str]] = field(default_factory=list)  # (file, reason): quarantined unread (too big)
    gone: list[DocumentRecord] = field(default_factory=list)  # to delete (empty when the guard tripped)
    deletion_blocked: str | None = None  # why deletions were held back


def plan_sync(
    root: str,
    files: list[SourceFile],
    known: dict[str, DocumentRecord],
    settings: Settings,
    *,
    retry_quarantined: bool = False,
    allow_mass_delete: bool = False,
) -> Plan:
    plan = Plan()
    limit = settings.parsing.max_file_mb * 2**20
    for f in files:
        rec = known.get(doc_id_for(f.uri))
        same_stat = rec is not None and rec.size == f.size and rec.mtime == f.mtime
        if f.refused and not (same_stat and rec.status == "quarantined"):  # never left indexed
            plan.skipped.append((f, f.refused))
        elif same_stat and (rec.status == "indexed" or not (retry_quarantined or rec.stage == "tool")):
            plan.unchanged.append(f)
        elif f.size > limit:
            mib = settings.parsing.max_file_mb
            plan.refused.append((f, f"file is {f.size / 2**20:.1f} MiB, over the {mib:g} MiB limit (parsing.max_file_mb)"))
        else:
            plan.todo.append(f)
    present = {doc_id_for(f.uri) for f in files}
    root_uri = normalise_root(root)
    corpus = [r for r in known.values() if path_within(r.source_uri, root_uri) is not None]
    gone = [r for r in corpus if r.doc_id not in present]
    plan.deletion_blocked = None if allow_mass_delete else deletion_guard(len(gone), len(corpus), len(files), settings)
    if not plan.deletion_blocked:
        plan.gone = gone
    return plan


def deletion_guard(deleting: int, corpus: int, listed: int, settings: Settings) -> str | None:
    """Why deleting ``deleting`` of ``corpus`` documents is refused, or None when it is allowed."""
    share = settings.sync.max_delete_share
    small = corpus < settings.sync.guard_min_documents and listed > 0
    if deleting == 0 or small or deleting <= share * corpus:
        return None
    return (
        f"the listing would delete {deleting} of {corpus} documents ({deleting / corpus:.0%}), more than "
        f"sync.max_delete_share={share:.0%}; nothing was deleted. If the files really are gone, run "
        "`docent ingest --allow-mass-delete` (or raise DOCENT_SYNC__MAX_DELETE_SHARE)."
    )
