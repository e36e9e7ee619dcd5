"""parse → chunk → embed → index, one asset per stage, partitioned by ingestion batch.

Design (figures in the issue note): a run is a process that loads the embedding model, so runs
are per *batch* (up to ``sync.batch_documents`` files chosen by the sensor), which keeps
Dagster's own bookkeeping at a handful of events per batch. Per-document visibility comes from
the ``documents`` asset, partitioned by document id: the index stage logs one materialization
per indexed document (source, version, chunks, batch) and one failed check evaluation per
quarantined document (stage and reason), the sensor one materialization per deleted document.
Each event names its file (the path relative to its source) in its description and ``path``
metadata: the partition key stays the document id, which the manifest, the index and every
earlier event are keyed by. Each asset is a thin call into
:class:`docent.ingest.pipeline.Ingestor`, the same code ``docent ingest`` runs.
"""


import time
from collections.abc import Iterable

import dagster as dg
import numpy as np

from assets.resources import DocentResource, SourceResource
from docent.index.promotion import count_mismatches
from docent.ingest import checks
from docent.ingest.chunk import doc_id_for
from docent.ingest.manifest import DocumentRecord
from docent.ingest.pipeline import IngestReport, Prepared
from docent.ingest.sources import SourceFile, normalise_root, path_or_url, path_within
from docent.ingest.worker import WorkResult
from docent.workspace import Workspace

batch_partitions = dg.DynamicPartitionsDefinition(name="ingest_batches")
document_partitions = dg.DynamicPartitionsDefinition(name="documents")

documents = dg.AssetSpec(
    "documents",
    partitions_def=document_partitions,
    group_name="ingestion",
    deps=["indexed_chunks"],
    description="One partition per source document (key: document id; each event's description and `path` metadata "
    "name the file, relative to its source). Materialized when the document is indexed, and once more (status: deleted) "
    "when its file leaves the source; a failed `ingested` check says why it was quarantined and at which stage.",
)


def relative_path(uri: str, root_uri: str) -> str:
    """The file's path under its source root (``policies/leave.md``) as a person writes it: what names a
    document in the Dagster UI, where partition keys are document ids (a file outside it: its whole path or URL).
    ``root_uri`` is normalised."""
    path = path_within(uri, root_uri)
    return path_or_url(uri) if path is None else path


def named(paths: list[str], first: int = 5) -> str:
    """The first few paths and how many more: short enough for a tick's line or a run tag."""
    return ", ".join(paths[:first]) + (f" and {len(paths) - first} more" if len(paths) > first else "")


def batch_tags(version: str, root: str, files: list[SourceFile]) -> dict[str, str]:
    """A batch run's tags: the index version, and the files it ingests (the UI's runs list shows them)."""
    root_uri = normalise_root(root)
    return {"docent/version": version, "docent/files": named([relative_path(f.uri, root_uri) for f in files])}


def deletion_event(path: str, record: DocumentRecord, version: str) -> dg.AssetMaterialization:
    """The ``documents`` event of a file that left its source (its chunks left the index with it)."""
    return dg.AssetMaterialization(
        "documents", partition=record.doc_id, description=f"{path}: deleted (gone from its source)",
        metadata={"path": path, "source": record.source_uri, "status": "deleted", "index_version": version},
    )


@dg.asset_check(asset="documents", name="ingested", partitions_def=document_partitions)
def ingested(context: dg.AssetCheckExecutionContext, docent: DocentResource) -> dg.AssetCheckResult:
    """Per document: indexed, or quarantined with stage and reason. The ingestion runs log these
    evaluations themselves; run on its own, the check reads the document's manifest record."""
    doc_id = context.partition_key
    record = docent.workspace.manifest.get_many([doc_id]).get(doc_id)
    if record is None:
        return dg.AssetCheckResult(passed=False, metadata={"reason": "not in the manifest of the configured version"})
    return dg.AssetCheckResult(
        passed=record.status == "indexed", description=path_or_url(record.source_uri),
        metadata={"source": record.source_uri, "stage": record.stage or "", "reason": record.error or ""},
    )


Parsed = list[tuple[SourceFile, WorkResult]]


def _stage_metadata(context: dg.AssetExecutionContext, ws: Workspace, started: float, **counts) -> dict:
    return {
        **counts,
        "seconds": round(time.perf_counter() - started, 3),
        "index_version": ws.version,
        "batch": context.partition_key,
    }


def _asset(name: str, *check_names: str, kinds: set[str] | None = None):
    """A batch-partitioned ingestion asset whose checks run on the data it just produced.

    The checks are blocking: a failed one stops the downstream stages of the batch.
    """
    specs = [dg.AssetCheckSpec(c, asset=name, blocking=True, description=checks.DESCRIPTIONS[c]) for c in check_names]
    return dg.asset(name=name, partitions_def=batch_partitions, group_name="ingestion", kinds=kinds or {"python"}, check_specs=specs)


def _check(name: str, problems: list[str], what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        passed=not problems,
        description=f"{len(problems)} {what}" if problems else "ok",
        metadata={"problems": len(problems), "examples": dg.MetadataValue.json(problems[:10])},
    )


@_asset("parsed_documents", "parsed_text_not_empty")
def parsed_documents(context: dg.AssetExecutionContext, docent: DocentResource, source: SourceResource):
    """The batch's files read, hashed and parsed in separate processes; failures are quarantined."""
    started = time.perf_counter()
    ws = docent.workspace
    batch = ws.batches.get(context.partition_key)
    ingestor, report = ws.ingestor(), IngestReport(version=ws.version)
    files = ingestor.parse(batch.files, source.storage_options())
    parsed = [(f, r) for f, r in files if ingestor.parsed(f, r, report)]
    unchanged = sum(r.elements is None for _, r in parsed)
    yield dg.Output(parsed, metadata=_stage_metadata(
        context, ws, started, documents=len(batch.files), parsed=len(parsed) - unchanged,
        unchanged_bytes=unchanged, quarantined=len(report.quarantined),
        ocr_pages=sum(r.scan.ocr_pages for _, r in parsed if r.scan),
    ))
    yield _check("parsed_text_not_empty", checks.empty_texts(parsed), "documents parsed to no text")


@_asset("document_chunks", "chunk_tokens_within_limit", "chunk_ids_unique")
def document_chunks(context: dg.AssetExecutionContext, docent: DocentResource, parsed_documents: Parsed):
    """Structure-aware chunks sized in the model's word pieces."""
    started = time.perf_counter()
    ws = docent.workspace
    ingestor, report = ws.ingestor(), IngestReport(version=ws.version)
    prepared = [p for f, r in parsed_documents if (p := ingestor.chunk(f, r, report))]
    yield dg.Output(prepared, metadata=_stage_metadata(
        context, ws, started, documents=len(prepared), chunks=sum(len(p.chunks) for p in prepared),
        new=len(report.new), updated=len(report.updated), unchanged=len(report.unchanged),
        quarantined=len(report.quarantined),
    ))
    yield _check("chunk_tokens_within_limit", checks.oversized_chunks(prepared, ingestor.counter), "chunks over the model limit")
    yield _check("chunk_ids_unique", checks.duplicate_chunk_ids(prepared), "duplicated chunk ids")


@_asset("chunk_embeddings", "embedding_dimension_and_norm")
def chunk_embeddings(context: dg.AssetExecutionContext, docent: DocentResource, document_chunks: list[Prepared]):
    """One unit vector per chunk, in order; cached texts are not encoded again."""
    started = time.perf_counter()
    ws = docent.workspace
    report = IngestReport(version=ws.version)
    vectors = ws.ingestor().embed(document_chunks, report)
    yield dg.Output(vectors, metadata=_stage_metadata(
        context, ws, started, chunks=len(vectors), embedded=report.embedded,
        from_cache=len(vectors) - report.embedded, model=ws.embedder.model_id,
    ))
    rows = sum(len(p.chunks) for p in document_chunks)
    yield _check("embedding_dimension_and_norm", checks.bad_vectors(vectors, rows, ws.embedder.dim), "embedding problems")


@dg.asset(
    partitions_def=batch_partitions, group_name="ingestion", kinds={"lancedb"},
    check_specs=[dg.AssetCheckSpec("index_matches_manifest", asset="indexed_chunks", description=checks.DESCRIPTIONS["index_matches_manifest"])],
)
def indexed_chunks(
    context: dg.AssetExecutionContext,
    docent: DocentResource,
    document_chunks: list[Prepared],
    chunk_embeddings: np.ndarray,
) -> dg.MaterializeResult:
    """Chunks written to the configured index version and recorded in the manifest."""
    started = time.perf_counter()
    ws = docent.workspace
    ingestor, report = ws.ingestor(), IngestReport(version=ws.version)
    ingestor.write(document_chunks, chunk_embeddings, report)
    ingestor.finish(report)
    batch = ws.batches.get(context.partition_key)
    records = ws.manifest.get_many([doc_id_for(f.uri) for f in batch.files])
    _log_documents(context, ws.version, batch.root, records.values())
    indexed = [r for r in records.values() if r.status == "indexed"]
    mismatches = count_mismatches(ws.index, records.values())
    drift = [f"{d}: expected {want}, stored {have}" for d, (want, have) in mismatches.items() if d in records]
    live, _ = ws.versions.alias()
    return dg.MaterializeResult(
        metadata={
            **_stage_metadata(context, ws, started, documents=len(indexed), chunks=report.chunks),
            "quarantined": len(records) - len(indexed),
            "live_version": live or "",
            "documents_table": _documents_table(records.values()),
        },
        check_results=[_check("index_matches_manifest", drift, "documents out of sync")],
    )


def _log_documents(
    context: dg.AssetExecutionContext, version: str, root: str, records: Iterable[DocumentRecord]
) -> None:
    """One event per document on the ``documents`` asset: its status in the Dagster UI."""
    records = list(records)
    context.instance.add_dynamic_partitions(document_partitions.name, [r.doc_id for r in records])
    root = normalise_root(root)
    for r in records:
        path = relative_path(r.source_uri, root)
        meta = {"path": path, "source": r.source_uri, "status": r.status, "index_version": version,
                "batch": context.partition_key}
        if r.status == "indexed":
            scan = {"ocr_pages": r.ocr_pages, "pages": r.pages, "ocr_confidence": r.ocr_confidence,
                    "ocr_notes": r.notes or ""} if r.ocr_pages else {}
            context.log_event(dg.AssetMaterialization("documents", partition=r.doc_id,
                                                      description=f"{path}: indexed, {r.chunks} chunks",
                                                      metadata={**meta, "chunks": r.chunks, **scan}))
        else:
            context.log_event(
                dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey("documents"), check_name="ingested", passed=False, partition=r.doc_id,
                    severity=dg.AssetCheckSeverity.WARN, description=f"{path}: quarantined at {r.stage or 'an unknown stage'}",
                    metadata={**meta, "stage": r.stage or "", "reason": r.error or ""},
                )
            )


def _documents_table(records) -> dg.TableMetadataValue:
    columns = ["source", "status", "stage", "reason", "chunks", "ocr_pages", "updated"]
    rows = [
        dg.TableRecord(
            {"source": r.source_uri, "status": r.status, "stage": r.stage or "", "reason": r.error or "",
             "chunks": r.chunks, "ocr_pages": r.ocr_pages or 0,
             "updated": f"{r.updated_at:%Y-%m-%d %H:%M:%S}" if r.updated_at else ""}
        )
        for r in sorted(records, key=lambda r: (r.status != "quarantined", r.source_uri))
    ]
    return dg.MetadataValue.table(rows, schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in columns]))
