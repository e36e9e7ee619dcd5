"""``docent ingest`` through Dagster: the same batches the sensor would request, run in-process
against the Dagster instance in ``DAGSTER_HOME``, so the work shows in Dagster's run history."""

import json
from dataclasses import dataclass, field

import dagster as dg

from assets.definitions import build_definitions
from assets.ingestion import batch_partitions, batch_tags
from assets.resources import DocentResource, SourceResource
from docent.ingest.chunk import doc_id_for
from docent.ingest.pipeline import IngestReport

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the run's events are in the UI


@dataclass
class DagsterIngest:
    report: IngestReport  # what the CLI's summary needs: plan, deletions and per-batch counts
    run_ids: list[str] = field(default_factory=list)
    failed_runs: list[str] = field(default_factory=list)


def ingest_with_dagster(
    root: str,
    *,
    docent: DocentResource | None = None,
    instance: dg.DagsterInstance | None = None,
    storage_options: dict | None = None,
    retry_quarantined: bool = False,
    allow_mass_delete: bool = False,
) -> DagsterIngest:
    """Plan like the sensor, then run ``ingest_job`` once per batch; returns the combined report."""
    docent = docent or DocentResource.build()
    defs = build_definitions(docent, SourceResource(storage_options_json=json.dumps(storage_options or {})))
    instance = instance or dg.DagsterInstance.get()
    ws = docent.workspace
    ingestor = ws.ingestor()
    report = IngestReport(version=ws.version)
    plan = ingestor.detect(root, storage_options, retry_quarantined=retry_quarantined, allow_mass_delete=allow_mass_delete)
    ingestor.record_plan(plan, report)
    ingestor.remove(plan.gone, report)
    size = ws.settings.sync.batch_documents
    batches = [ws.batches.create(ws.version, root, plan.todo[i : i + size]) for i in range(0, len(plan.todo), size)]
    instance.add_dynamic_partitions(batch_partitions.name, [b.batch_id for b in batches])
    job = defs.resolve_job_def("ingest_job")
    out = DagsterIngest(report)
    for b in batches:
        result = job.execute_in_process(
            instance=instance, partition_key=b.batch_id, raise_on_error=False, run_config=QUIET,
            tags={**batch_tags(ws.version, root, b.files), "docent/source": "cli"},
        )
        out.run_ids.append(result.run_id)
        if not result.success:
            out.failed_runs.append(result.run_id)
        _merge(result, report)
    if plan.gone or not batches:
        ingestor.finish(report)
    _outcomes(ingestor, plan.todo, report)
    return out


def _outcomes(ingestor, todo, report: IngestReport) -> None:
    """New, updated and quarantined documents, from the manifest before and after the runs."""
    before = ingestor.known
    after = ingestor.manifest.get_many([doc_id_for(f.uri) for f in todo])
    for f in todo:
        rec = after.get(doc_id_for(f.uri))
        if rec is None:
            continue
        if rec.status == "quarantined":
            report.quarantined[f.uri] = f"{rec.stage}: {rec.error}"
        elif rec.content_hash == getattr(before.get(rec.doc_id), "content_hash", None):
            report.unchanged.append(f.uri)
        else:
            (report.updated if rec.doc_id in before else report.new).append(f.uri)


def _merge(result: dg.ExecuteInProcessResult, report: IngestReport) -> None:
    """Fold one run's stage metadata into the report (counts and seconds per stage)."""
    for node, stage in (("parsed_documents", "parse"), ("document_chunks", "chunk"),
                        ("chunk_embeddings", "embed"), ("indexed_chunks", "index")):
        for m in result.asset_materializations_for_node(node):
            if m.asset_key.path != [node]:
                continue
            meta = {k: v.value for k, v in m.metadata.items()}
            report.stage_seconds[stage] = report.stage_seconds.get(stage, 0.0) + float(meta.get("seconds", 0.0))
            if stage == "embed":
                report.embedded += int(meta.get("embedded", 0))
            if stage == "index":
                report.chunks += int(meta.get("chunks", 0))


def main(argv: list[str] | None = None) -> int:
    """``python -m assets.run_ingest PATH --out FILE``: what ``docent ingest --dagster`` runs, from the project
    folder; the report goes to FILE as JSON (the CLI prints it), a source that cannot be read to stderr, exit 2."""
    import argparse
    import sys
    from dataclasses import asdict

    from docent.ingest.sources import SourceError

    parser = argparse.ArgumentParser(prog="python -m assets.run_ingest", description=main.__doc__)
    parser.add_argument("path")
    parser.add_argument("--out", required=True, help="where to write the report (JSON)")
    parser.add_argument("--retry-quarantined", action="store_true")
    parser.add_argument("--allow-mass-delete", action="store_true")
    args = parser.parse_args(argv)
    try:
        done = ingest_with_dagster(args.path, retry_quarantined=args.retry_quarantined,
                                   allow_mass_delete=args.allow_mass_delete)
    except SourceError as exc:
        print(exc, file=sys.stderr)
        return 2
    with open(args.out, "w") as f:
        json.dump({"report": asdict(done.report), "run_ids": done.run_ids, "failed_runs": done.failed_runs}, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
