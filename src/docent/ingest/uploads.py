"""Documents sent over HTTP (``POST /v1/documents``): checked, kept in ``sync.upload_dir``, ingested.

Every file of a request is checked before any is written: its name (a base name only: no folder,
no leading dot, no NUL), its type (by its first bytes, :mod:`docent.ingest.signatures`, and only
formats ingestion parses), and its name against the folder; and the request as a whole, at most
``MAX_FILES`` files and ``api.max_upload_mb`` together (the API and the Ingestion page alike).
So a refused request leaves nothing.
A name that already holds the same bytes is accepted as unchanged; one that holds other bytes is
refused (``name_taken``) unless the caller asks to ``replace`` it: a silent overwrite would lose a
document, and a renamed copy would leave both versions answering questions.

Each file is written to a hidden temporary file in the folder (listings skip hidden names), then
linked under its name (or renamed over the old one when replacing): nobody sees half a file, and a
file of that name that arrived meanwhile is never overwritten.

The folder is a source like the configured ones: :func:`sync_roots` is what the sensor watches,
and :func:`ingest_uploads` runs the same :class:`~docent.ingest.pipeline.Ingestor` as ``docent ingest``,
into the live version: ``POST /v1/documents?ingest=now`` and the Ingestion page's button both call it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from docent.index.versions import IndexVersions
from docent.ingest.catalogue import State, state_of
from docent.ingest.chunk import doc_id_for
from docent.ingest.manifest import Manifest
from docent.ingest.parse import PARSED_KINDS, named_kind
from docent.ingest.pipeline import Ingestor, IngestReport, ProgressFn
from docent.ingest.signatures import matches
from docent.ingest.sources import normalise_root
from docent.retrieve import Retriever
from docent.settings import Settings

Refusal = Literal["bad_name", "unsupported_type", "name_taken", "too_many_files", "too_large"]
MAX_FILES = 100  # files in one upload


class UploadRefused(ValueError):
    """A request refused before anything was written; the message says which file and why."""

    def __init__(self, reason: Refusal, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Upload:
    name: str  # as the sender gave it
    file: BinaryIO  # seekable


@dataclass(frozen=True)
class Stored:
    name: str
    uri: str
    doc_id: str
    kind: str
    size: int
    sha256: str
    stored: Literal["new", "replaced", "unchanged"]


@dataclass(frozen=True)
class Outcome:
    state: State | Literal["pending"]  # pending: not in the manifest (another run removed or holds it)
    reason: str | None  # "stage: reason" when quarantined or skipped
    chunks: int


@dataclass(frozen=True)
class Ingested:
    report: IngestReport  # the whole upload folder's run
    outcomes: dict[str, Outcome]  # each stored file's, by name


def max_upload_bytes(settings: Settings) -> int:
    """The most one upload may hold, all its files together (``api.max_upload_mb``)."""
    return int(settings.api.max_upload_mb * 2**20)


def upload_dir(settings: Settings) -> Path:
    """Where uploads are kept: ``sync.upload_dir``, by default ``<data_dir>/uploads`` (absolute)."""
    return Path(settings.sync.upload_dir or settings.data_dir / "uploads").expanduser().resolve()


def sync_roots(settings: Settings, roots: list[str] | None = None) -> list[str]:
    """The sources to watch: ``roots`` (else ``sync.sources``), and the upload folder once it exists
    (the first upload creates it; an emptied one stays watched, so its removed files leave the index)."""
    watched = list(roots or settings.sync.sources)
    folder = upload_dir(settings)
    if folder.is_dir() and folder.as_uri() not in {normalise_root(r) for r in watched}:
        watched.append(str(folder))
    return watched


def checked_name(name: str | None) -> str:
    """``name`` when it is a plain base name; UploadRefused (bad_name) otherwise."""
    plain = (bool(name) and not name.startswith(".") and len(name.encode()) <= 255
             and not any(c in "/\\" or ord(c) < 32 or c == "\x7f" for c in name))
    if not plain:
        raise UploadRefused("bad_name", f"{name!r} is not a plain file name: send the base name only (no folder, "
                            "no leading dot, no control characters, at most 255 bytes)")
    return name


def checked_kind(name: str, file: BinaryIO) -> str:
    """The format ``file`` is, when its name says one ingestion parses and its bytes agree; UploadRefused otherwise."""
    kind = named_kind(name)
    if kind is None:
        raise UploadRefused("unsupported_type", f"{name!r}: this file type cannot be ingested; send one of "
                            f"{', '.join('.' + k for k in sorted(PARSED_KINDS))}")
    if not matches(kind, file):
        raise UploadRefused("unsupported_type", f"{name!r} is named .{Path(name).suffix.lower().lstrip('.')} "
                            f"but its content is not a {kind.upper()} file")
    return kind


def store(folder: Path, uploads: list[Upload], replace: bool = False, *, max_bytes: int) -> list[Stored]:
    """Check every upload, then keep them in ``folder`` (see the module); UploadRefused before any write.
    ``max_bytes``: :func:`max_upload_bytes` of the settings, which every caller passes (no upload is unlimited)."""
    if len(uploads) > MAX_FILES:
        raise UploadRefused("too_many_files", f"{len(uploads)} files in one upload: send at most {MAX_FILES} at a time")
    checked: list[Stored] = []
    total = 0
    for upload in uploads:
        checked.append(_checked(folder, upload, replace))
        total += checked[-1].size
        if total > max_bytes:
            raise UploadRefused("too_large", f"the files of one upload are over {max_bytes / 2**20:g} MB together "
                                "(the server's api.max_upload_mb): send fewer at a time")
    names = [c.name for c in checked]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise UploadRefused("bad_name", f"one request sent several files named {', '.join(map(repr, twice))}")
    todo = [(u, c) for u, c in zip(uploads, checked) if c.stored != "unchanged"]
    if not todo:
        return checked
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[str] = []
    placed: list[Path] = []
    try:
        for upload, _ in todo:  # everything on disk before any name appears
            temps.append(_spool(folder, upload.file))
        for (_, c), temp in zip(todo, temps):
            target = folder / c.name
            if c.stored == "replaced":
                os.replace(temp, target)
                continue
            try:
                os.link(temp, target)
            except FileExistsError:  # arrived since it was checked
                for path in placed:
                    path.unlink(missing_ok=True)
                raise UploadRefused("name_taken", f"{c.name!r} was just uploaded by someone else; send it "
                                    "again to see whether it is the same file") from None
            placed.append(target)
    finally:
        for temp in temps:
            Path(temp).unlink(missing_ok=True)
    return checked


def _checked(folder: Path, upload: Upload, replace: bool) -> Stored:
    name = checked_name(upload.name)
    kind = checked_kind(name, upload.file)
    digest, size = hashlib.sha256(), 0
    while block := upload.file.read(2**20):
        digest.update(block)
        size += len(block)
    upload.file.seek(0)
    target = folder / name
    stored: Literal["new", "replaced", "unchanged"] = "new"
    if target.exists():
        same = target.is_file() and _sha256(target) == digest.hexdigest()
        if not same and not (replace and target.is_file()):
            raise UploadRefused("name_taken", f"{name!r} already holds a different document; send it under "
                                "another name, or with replace=true to replace it")
        stored = "unchanged" if same else "replaced"
    uri = target.as_uri()
    return Stored(name, uri, doc_id_for(uri), kind, size, digest.hexdigest(), stored)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _spool(folder: Path, file: BinaryIO) -> str:
    """``file`` copied to a hidden temporary file in ``folder``, flushed to disk; its path."""
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(file, out, 2**20)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    file.seek(0)
    return temp


def ingest_uploads(
    settings: Settings,
    reader: Retriever,
    stored: Sequence[Stored] = (),
    *,
    on_start: Callable[[int], None] | None = None,
    on_progress: ProgressFn | None = None,
) -> Ingested:
    """Ingest the upload folder now (``stored``, and any file still waiting for the sensor) into the index
    ``reader`` searches (the live one: people search it now), with that version's parser, chunker and model and the
    usual write lock; the run's report and each stored file's outcome. ``on_start``/``on_progress``: as
    :meth:`Ingestor.run`'s."""
    versions = IndexVersions(settings.state_url)
    manifest = Manifest(settings.state_url, reader.version)
    version_settings = versions.get(reader.version).settings(settings)
    report = Ingestor(version_settings, reader.index, reader.embedder, manifest, versions).run(
        str(upload_dir(settings)), on_start=on_start, on_progress=on_progress)
    records = manifest.get_many([s.doc_id for s in stored])
    outcomes = {}
    for s in stored:
        record = records.get(s.doc_id)
        state = state_of(record) if record else "pending"
        reason = f"{record.stage}: {record.error}" if record and state != "indexed" else None
        outcomes[s.name] = Outcome(state, reason, record.chunks if record else 0)
    return Ingested(report, outcomes)
