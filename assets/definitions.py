"""The code location: ``dagster dev`` finds it through ``[tool.dagster]`` in pyproject.toml."""


import dagster as dg

from assets import ingestion
from assets.jobs import ingest_job, promote_index_job, reconcile_job
from assets.resources import DocentResource, SourceResource
from assets.schedules import nightly_reconciliation
from assets.sensors import source_sensor


def build_definitions(docent: DocentResource | None = None, source: SourceResource | None = None) -> dg.Definitions:
    """The definitions with the given resources (tests pass temporary ones)."""
    return dg.Definitions(
        assets=[
            ingestion.parsed_documents, ingestion.document_chunks, ingestion.chunk_embeddings,
            ingestion.indexed_chunks, ingestion.documents,
        ],
        asset_checks=[ingestion.ingested],
        jobs=[ingest_job, promote_index_job, reconcile_job],
        sensors=[source_sensor],
        schedules=[nightly_reconciliation],
        resources={"docent": docent or DocentResource.build(), "source": source or SourceResource()},
    )


defs = build_definitions()
