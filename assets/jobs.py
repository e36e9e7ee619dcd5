"""Jobs: ingest one batch, promote an index version, reconcile the index with its sources."""


import dagster as dg

from assets.ingestion import batch_partitions
from assets.resources import DocentResource
from docent.evaluate.gate import golden_gate
from docent.index.promotion import PromotionRefused, promote
from docent.index.reconcile import reconcile

INGESTION_ASSETS = ["parsed_documents", "document_chunks", "chunk_embeddings", "indexed_chunks"]

# In-process: one process per run, so the embedding model is loaded once per batch.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(*INGESTION_ASSETS),
    partitions_def=batch_partitions,
    executor_def=dg.in_process_executor,
    description="Parse, chunk, embed and index one batch of documents chosen by the source sensor.",
)


class PromoteConfig(dg.Config):
    version: str  # an id or unique prefix from `docent index list`
    force: bool = False
    evaluate: bool = True  # gate on the golden-set evaluation (evaluation.golden, evaluation.gate)


@dg.op(description="Run the promotion checks on a built index version, then point the live alias at it.")
def promote_version(context: dg.OpExecutionContext, config: PromoteConfig, docent: DocentResource) -> None:
    try:
        ws = docent.workspace
        done = promote(ws, config.version, gates=[golden_gate(ws)] if config.evaluate else [], force=config.force)
    except PromotionRefused as exc:
        raise dg.Failure(str(exc), metadata={"problems": dg.MetadataValue.json(exc.problems)}) from None
    context.log.info(f"live: {done.old} -> {done.new} in {done.switch_seconds * 1000:.1f} ms")
    context.add_output_metadata({"old": done.old or "", "new": done.new, "switch_ms": round(done.switch_seconds * 1000, 2)})


@dg.job(description="Promote an index version to live after its checks pass (blue-green).")
def promote_index_job():
    promote_version()


@dg.op(description="Remove index rows the manifest does not hold (duplicates, orphans) under the writer lock; "
       "documents whose rows disagree are forgotten, so the next sensor tick ingests them again, whole.")
def reconcile_index(context: dg.OpExecutionContext, docent: DocentResource) -> None:
    ws = docent.workspace
    found = reconcile(ws.index, ws.manifest, ws.settings.sync.write_wait_s)
    for doc_id, (expected, stored) in found.damaged.items():
        context.log.warning(f"{found.sources.get(doc_id, doc_id)}: {stored} rows for {expected} chunks; queued again")
    context.log.info(f"{len(found.damaged)} documents re-queued, {len(found.orphans)} orphaned documents removed from the index")
    context.add_output_metadata({"requeued": len(found.damaged), "orphans_removed": len(found.orphans),
                                 "rows_removed": sum(found.orphans.values()) + sum(s for _, s in found.damaged.values())})


@dg.job(description="Nightly: repair drift between the index and the manifest; the sensor then re-ingests.")
def reconcile_job():
    reconcile_index()
