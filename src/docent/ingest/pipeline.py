"""Incremental ingestion: sources → parse → chunk → embed → index, in sync with the manifest.

Parsing runs in separate processes (``parsing.workers``) with a per-file time limit, ahead of
the embedder, so the two overlap; a file that hangs or crashes its parser is quarantined and the
run goes on. Chunks are embedded and written in batches; a document's manifest record is written
only after its chunks are in the index. Unchanged files (same size, mtime and fingerprint, or the
same bytes) are neither parsed nor embedded; removed files leave the index.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from pebble import ProcessExpired, ProcessPool

from docent.embed import Embedder
from docent.index.base import Chunk, VectorIndex
from docent.ingest.chunk import chunk_elements, doc_id_for, token_counter
from docent.ingest.manifest import DocumentRecord, Manifest
from docent.ingest.sources import SourceFile, list_files, normalise_root
from docent.ingest.worker import WorkResult, load_and_parse, warm_up
from docent.settings import Settings

FLUSH_CHUNKS = 512  # chunks per embed/write batch: big enough for length-sorted batching
PARSE_AHEAD = 512  # documents queued to the parser processes while the embedder works


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0


ProgressFn = Callable[[int, int], None]  # (documents done, chunks written) since the last call


@dataclass
class _Pending:
    chunks: list[Chunk] = field(default_factory=list)
    records: list[DocumentRecord] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    docs: int = 0


class Ingestor:
    """One ingestion run over one source root."""

    def __init__(self, settings: Settings, index: VectorIndex, embedder: Embedder, manifest: Manifest):
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.manifest = manifest
        self.fingerprint = settings.index_fingerprint()

    def run(
        self,
        root: str,
        *,
        storage_options: dict | None = None,
        retry_quarantined: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_progress: ProgressFn | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        files = list(list_files(root, storage_options))
        known = self.manifest.all()
        todo = self._plan(files, known, report, retry_quarantined)
        if on_start:
            on_start(len(todo))
        self._process(todo, known, report, storage_options, on_progress or (lambda d, c: None))
        self._remove_missing(root, files, known, report)
        self.index.refresh()
        report.seconds = time.perf_counter() - started
        return report

    def _plan(self, files: list[SourceFile], known: dict, report: IngestReport, retry: bool) -> list[SourceFile]:
        todo = []
        for f in files:
            rec = known.get(doc_id_for(f.uri))
            same_stat = rec and rec.size == f.size and rec.mtime == f.mtime and rec.fingerprint == self.fingerprint
            if same_stat and (rec.status == "indexed" or not retry):
                report.unchanged.append(f.uri)
            elif f.size > self.settings.parsing.max_file_mb * 2**20:
                limit = self.settings.parsing.max_file_mb
                reason = f"file is {f.size / 2**20:.1f} MiB, over the {limit:g} MiB limit (parsing.max_file_mb)"
                self._quarantine(f, rec, "", reason, report)
            else:
                todo.append(f)
        return todo

    def _quarantine(self, f: SourceFile, rec: DocumentRecord | None, digest: str, reason: str, report: IngestReport) -> None:
        """Record why a file is not indexed; a previously indexed version's chunks leave the index."""
        report.quarantined[f.uri] = reason
        record = DocumentRecord(doc_id_for(f.uri), f.uri, digest, f.size, f.mtime, self.fingerprint, "quarantined", reason)
        if rec is not None and rec.status == "indexed":
            self.index.delete_documents([record.doc_id])
        self.manifest.save([record])

    def _process(self, todo, known, report, storage_options, on_progress: ProgressFn) -> None:
        p = self.settings.parsing
        counter = token_counter(str(self.embedder.tokenizer_file))
        pending = _Pending()
        ctx = multiprocessing.get_context("spawn")
        kinds = sorted({"x" + Path(f.name).suffix.lower() for f in todo})  # one name per file type
        with ProcessPool(max_workers=p.workers, context=ctx, initializer=warm_up, initargs=(kinds,)) as pool:
            inflight: deque = deque()
            queue = iter(todo)
            for f in queue:
                inflight.append(self._submit(pool, f, known, storage_options))
                if len(inflight) >= PARSE_AHEAD:
                    break
            while inflight:
                f, future = inflight.popleft()
                nxt = next(queue, None)
                if nxt is not None:
                    inflight.append(self._submit(pool, nxt, known, storage_options))
                self._accept(f, self._result(future), known, report, counter, pending)
                if len(pending.chunks) >= FLUSH_CHUNKS or pending.docs >= FLUSH_CHUNKS:
                    self._flush(pending, report, on_progress)
                    pending = _Pending()
        self._flush(pending, report, on_progress)

    def _submit(self, pool: ProcessPool, f: SourceFile, known: dict, storage_options):
        rec = known.get(doc_id_for(f.uri))
        unchanged_hash = rec.content_hash if rec and rec.fingerprint == self.fingerprint and rec.status == "indexed" else None
        args = (f.uri, unchanged_hash, self.settings.parsing.strategy, storage_options)
        return f, pool.schedule(load_and_parse, args=args, timeout=self.settings.parsing.timeout_s)

    def _result(self, future) -> WorkResult:
        try:
            return future.result()
        except FutureTimeout:
            return WorkResult("", error=f"parsing took longer than {self.settings.parsing.timeout_s:g} s (parsing.timeout_s)")
        except ProcessExpired as exc:
            return WorkResult("", error=f"parser process died (exit code {exc.exitcode})")
        except OSError as exc:
            return WorkResult("", error=f"cannot read file: {exc}")

    def _accept(self, f: SourceFile, result: WorkResult, known, report, counter, pending: _Pending) -> None:
        doc_id = doc_id_for(f.uri)
        rec = known.get(doc_id)
        pending.docs += 1
        if result.error is not None:
            self._quarantine(f, rec, result.content_hash, result.error, report)
            return
        if result.elements is None:  # same bytes, touched file: remember the new mtime only
            report.unchanged.append(f.uri)
            pending.records.append(DocumentRecord(doc_id, f.uri, result.content_hash, f.size, f.mtime, self.fingerprint, "indexed", None, rec.chunks))
            return
        c = self.settings.chunking
        chunks = chunk_elements(
            result.elements, doc_id=doc_id, source_uri=f.uri, counter=counter,
            max_tokens=c.max_tokens, overlap_tokens=c.overlap_tokens, fingerprint=self.fingerprint,
        )
        (report.updated if rec else report.new).append(f.uri)
        if rec:
            pending.replaced.append(doc_id)
        pending.chunks.extend(chunks)
        pending.records.append(DocumentRecord(doc_id, f.uri, result.content_hash, f.size, f.mtime, self.fingerprint, "indexed", None, len(chunks)))

    def _flush(self, pending: _Pending, report: IngestReport, on_progress: ProgressFn) -> None:
        if pending.chunks:
            vectors, computed = self.embedder.embed([c.text for c in pending.chunks])
            report.embedded += computed
        if pending.replaced:
            self.index.delete_documents(pending.replaced)
        if pending.chunks:
            self.index.upsert(pending.chunks, vectors)
        self.manifest.save(pending.records)
        report.chunks += len(pending.chunks)
        on_progress(pending.docs, len(pending.chunks))

    def _remove_missing(self, root: str, files: list[SourceFile], known: dict, report: IngestReport) -> None:
        prefix = normalise_root(root)
        present = {doc_id_for(f.uri) for f in files}
        gone = [
            r for r in known.values()
            if r.doc_id not in present and (r.source_uri == prefix or r.source_uri.startswith(prefix + "/"))
        ]
        if gone:
            self.index.delete_documents([r.doc_id for r in gone])
            self.manifest.delete([r.doc_id for r in gone])
            report.deleted.extend(r.source_uri for r in gone)
