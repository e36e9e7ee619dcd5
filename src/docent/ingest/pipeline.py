"""Incremental ingestion: sources → parse → chunk → embed → index, in sync with the manifest.

The stages are methods of :class:`Ingestor`, called by ``docent ingest`` (:meth:`Ingestor.run`,
which streams documents through them in batches) and by the Dagster assets (one stage per
asset): there is one code path. A document that fails at any stage is quarantined with the stage
and the reason, and the batch goes on. A document's manifest record is written only after its
chunks are in the index; unchanged files are neither parsed nor embedded; removed files leave
the index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from docent.embed import Embedder
from docent.index.base import Chunk, VectorIndex
from docent.index.versions import IndexVersions
from docent.ingest.chunk import chunk_elements, doc_id_for, token_counter
from docent.ingest.identity import identify
from docent.ingest.manifest import DocumentRecord, Manifest
from docent.ingest.parser_pool import parse_files
from docent.ingest.plan import SKIPPED, Plan, plan_sync
from docent.ingest.sources import SourceFile, list_files, read_bytes
from docent.ingest.table import labels_only
from docent.ingest.worker import WorkResult
from docent.settings import Settings

FLUSH_CHUNKS = 2048  # chunks per embed/write batch: length-sorted, so little padding is encoded
FLUSH_DOCS = 2048  # documents per manifest write when few of them have new chunks


@dataclass
class IngestReport:
    version: str = ""
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # uri -> "stage: reason" (skipped files too)
    deletion_blocked: str | None = None
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def skipped(self) -> dict[str, str]:
        """The files never read by rule (links, special files): uri -> reason."""
        return {u: why.removeprefix(f"{SKIPPED}: ") for u, why in self.quarantined.items() if why.startswith(f"{SKIPPED}: ")}

    @property
    def failed(self) -> dict[str, str]:
        """The files read and quarantined (they could not be parsed or broke a limit): uri -> "stage: reason"."""
        return {u: why for u, why in self.quarantined.items() if not why.startswith(f"{SKIPPED}: ")}

    def timed(self, stage: str, started: float) -> None:
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + time.perf_counter() - started


ProgressFn = Callable[[float, int], None]  # (documents done, chunks embedded) since the last call


@dataclass
class Prepared:
    """One document's new chunks and the record to write once they are in the index."""

    record: DocumentRecord
    chunks: list[Chunk]
    replaces: bool  # an older version of the document is indexed and must go
    reindex: bool = True  # False: same bytes under a new mtime, only the record changes


class Ingestor:
    """Ingestion into one index version: the configured one."""

    def __init__(self, settings: Settings, index: VectorIndex, embedder: Embedder, manifest: Manifest, versions: IndexVersions):
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.manifest = manifest
        self.versions = versions
        self.counter = token_counter(str(embedder.tokenizer_file))
        self._known: dict[str, DocumentRecord] | None = None

    @property
    def known(self) -> dict[str, DocumentRecord]:
        if self._known is None:
            self._known = self.manifest.all()
        return self._known

    # ---- stages ----

    def plan(self, root: str, storage_options: dict | None = None, **options) -> Plan:
        """List ``root`` and compare with the manifest (``retry_quarantined``, ``allow_mass_delete``)."""
        files = list(list_files(root, storage_options, self.settings.sync.symlinks))
        return plan_sync(root, files, self.known, self.settings, **options)

    def detect(self, root: str, storage_options: dict | None = None, **options) -> Plan:
        """The sensor's view of ``root``: :meth:`plan`, then the bytes of stat-changed files that are
        already indexed are hashed, so a file that was only touched gets its new mtime recorded
        and is not ingested again. Unchanged files are never read."""
        plan = self.plan(root, storage_options, **options)
        todo, touched = [], []
        for f in plan.todo:
            rec = self.known.get(doc_id_for(f.uri))
            if rec is None or rec.status != "indexed":
                todo.append(f)
                continue
            digest = hashlib.sha256(read_bytes(f.uri, storage_options)).hexdigest()
            if digest == rec.content_hash:
                touched.append(replace(rec, size=f.size, mtime=f.mtime))
                plan.unchanged.append(f)
            else:
                todo.append(f)
        self.manifest.save(touched)
        plan.todo = todo
        return plan

    def record_plan(self, plan: Plan, report: IngestReport) -> None:
        report.unchanged.extend(f.uri for f in plan.unchanged)
        report.deletion_blocked = plan.deletion_blocked
        for f, reason in plan.skipped:
            self.quarantine(f.uri, f, "", SKIPPED, reason, report)
        for f, reason in plan.refused:
            self.quarantine(f.uri, f, "", "read", reason, report)

    def parse(self, files: list[SourceFile], storage_options: dict | None = None) -> Iterator[tuple[SourceFile, WorkResult]]:
        hashes = {r.source_uri: r.content_hash for r in self.known.values() if r.status == "indexed"}
        return parse_files(files, hashes, self.settings.parsing, storage_options)

    def parsed(self, f: SourceFile, result: WorkResult, report: IngestReport) -> bool:
        """True when ``result`` goes on to chunking; a failed parse is quarantined here."""
        if result.error is not None:
            self.quarantine(f.uri, f, result.content_hash, result.stage or "parse", result.error, report)
        return result.error is None

    def chunk(self, f: SourceFile, result: WorkResult, report: IngestReport) -> Prepared | None:
        """Chunks for one parsed file; None (and a quarantine record) when chunking failed."""
        doc_id = doc_id_for(f.uri)
        rec = self.known.get(doc_id)
        if result.elements is None:  # same bytes, touched file: remember the new mtime only
            report.unchanged.append(f.uri)
            record = replace(rec, size=f.size, mtime=f.mtime)
            return Prepared(record, [], replaces=False, reindex=False)
        c = self.settings.chunking
        try:
            chunks = chunk_elements(
                result.elements, doc_id=doc_id, source_uri=f.uri, counter=self.counter,
                max_tokens=c.max_tokens, overlap_tokens=c.overlap_tokens, fingerprint=self.manifest.version,
                identity=identify(result.elements, f.uri),
            )
        except Exception as exc:  # a chunker bug must quarantine one document, never stop the batch
            self.quarantine(f.uri, f, result.content_hash, "chunk", f"{type(exc).__name__}: {exc}", report)
            return None
        limit = self.settings.parsing.max_chunks_per_doc
        if len(chunks) > limit:  # a pathological file (one row of 200,000 columns) costs no embedding time
            reason = f"{len(chunks):,} chunks, over the limit of {limit:,} (parsing.max_chunks_per_doc)"
            self.quarantine(f.uri, f, result.content_hash, "chunk", reason, report)
            return None
        (report.updated if rec else report.new).append(f.uri)
        scan = result.scan.columns() if result.scan else {}
        record = DocumentRecord(doc_id, f.uri, result.content_hash, f.size, f.mtime, "indexed", None, len(chunks), **scan)
        return Prepared(record, chunks, replaces=rec is not None and rec.status == "indexed")

    def embed(self, batch: list[Prepared], report: IngestReport, on_progress: Callable[[int], None] | None = None) -> np.ndarray:
        """One vector per chunk of ``batch``, in order (cached texts are not encoded again)."""
        texts = [labels_only(c.text) for p in batch for c in p.chunks]  # tables embedded by their labels
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        vectors, computed = self.embedder.embed(texts, on_progress=on_progress)
        report.embedded += computed
        return vectors

    def write(self, batch: list[Prepared], vectors: np.ndarray, report: IngestReport) -> None:
        """Replace the batch's documents in the index, then record them in the manifest.

        One writer at a time (:meth:`Manifest.writing`), and what is replaced is read again under
        the lock: another ingestion of the same files may have indexed them since this one planned.
        """
        chunks = [c for p in batch for c in p.chunks]
        with self.manifest.writing(self.settings.sync.write_wait_s):
            now = self.manifest.get_many([p.record.doc_id for p in batch])
            replaced = sorted({p.record.doc_id for p in batch if p.replaces}
                              | {d for d, r in now.items() if r.status == "indexed"})
            if replaced:
                self.index.delete_documents(replaced)
            if chunks:
                self.index.upsert(chunks, vectors)
            self.manifest.save([p.record for p in batch])
        report.chunks += len(chunks)

    def remove(self, gone: list[DocumentRecord], report: IngestReport) -> None:
        if gone:
            with self.manifest.writing(self.settings.sync.write_wait_s):
                self.index.delete_documents([r.doc_id for r in gone])
                self.manifest.delete([r.doc_id for r in gone])
            report.deleted.extend(r.source_uri for r in gone)

    def finish(self, report: IngestReport) -> None:
        """Make new text searchable and mark the version built; the first version goes live."""
        started = time.perf_counter()
        self.index.refresh()
        self.versions.mark_built(self.manifest.version)
        if self.versions.alias()[0] is None:
            self.versions.switch(self.manifest.version)
        report.version = self.manifest.version
        report.timed("index", started)

    def quarantine(self, uri: str, f: SourceFile | None, digest: str, stage: str, reason: str, report: IngestReport) -> None:
        """Record why a document is not indexed; a previously indexed version's chunks leave the index."""
        report.quarantined[uri] = f"{stage}: {reason}"
        doc_id = doc_id_for(uri)
        rec = self.known.get(doc_id)
        size, mtime = (f.size, f.mtime) if f else (rec.size, rec.mtime) if rec else (0, 0.0)
        record = DocumentRecord(doc_id, uri, digest, size, mtime, "quarantined", reason, 0, stage)
        with self.manifest.writing(self.settings.sync.write_wait_s):
            if rec is not None and rec.status == "indexed":
                self.index.delete_documents([doc_id])
            self.manifest.save([record])

    # ---- the streaming composition used by `docent ingest` ----

    def run(
        self,
        root: str,
        *,
        storage_options: dict | None = None,
        retry_quarantined: bool = False,
        allow_mass_delete: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(version=self.manifest.version)
        plan = self.plan(root, storage_options, retry_quarantined=retry_quarantined, allow_mass_delete=allow_mass_delete)
        self.record_plan(plan, report)
        report.timed("plan", started)
        if on_start:
            on_start(len(plan.todo))
        progress = on_progress or (lambda d, c: None)
        batch: list[Prepared] = []
        docs = chunks = 0
        for f, result in self._timed(self.parse(plan.todo, storage_options), report, "parse"):
            docs += 1
            t = time.perf_counter()
            prepared = self.chunk(f, result, report) if self.parsed(f, result, report) else None
            report.timed("chunk", t)
            if prepared:
                batch.append(prepared)
                chunks += len(prepared.chunks)
            if chunks >= FLUSH_CHUNKS or docs >= FLUSH_DOCS:
                self._flush(batch, docs, report, progress)
                batch, docs, chunks = [], 0, 0
        self._flush(batch, docs, report, progress)
        self.remove(plan.gone, report)
        self.finish(report)
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _timed(results: Iterator, report: IngestReport, stage: str) -> Iterator:
        """Time spent waiting for the parser processes (parsing itself overlaps the embedder)."""
        while True:
            t = time.perf_counter()
            item = next(results, None)
            report.timed(stage, t)
            if item is None:
                return
            yield item

    def _flush(self, batch: list[Prepared], docs: int, report: IngestReport, on_progress: ProgressFn) -> None:
        """Embed and write one batch; the progress bar moves with each embedded slice."""
        total = sum(len(p.chunks) for p in batch)
        shown = 0.0

        def embedded(n: int) -> None:
            nonlocal shown
            shown += docs * n / total
            on_progress(docs * n / total, n)

        t = time.perf_counter()
        vectors = self.embed(batch, report, embedded)
        report.timed("embed", t)
        t = time.perf_counter()
        self.write(batch, vectors, report)
        report.timed("index", t)
        on_progress(docs - shown, 0)
