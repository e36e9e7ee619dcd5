"""The source sensor: one tick finds new, changed and removed documents and requests the runs.

Only files whose size or mtime changed are read (to hash them); removed files leave the index at
once unless the mass-deletion guard trips, in which case nothing is deleted and an alert is
raised. New work is cut into batches of ``sync.batch_documents`` files, one run each. Files the
listing refuses (a link out of the source, a FIFO) are recorded as skipped, and the tick says so.
A tick names the files it deleted (in its skip message when it requests no run) and records one
``documents`` materialization per deletion (status: deleted), so the UI's history shows them; the
runs it requests are tagged with the files of their batch.
"""


import dagster as dg

from assets.ingestion import batch_partitions, batch_tags, deletion_event, document_partitions, named, relative_path
from assets.jobs import ingest_job
from assets.resources import DocentResource, SourceResource, roots_for
from docent.ingest.pipeline import IngestReport
from docent.ingest.sources import normalise_root


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def source_sensor(context: dg.SensorEvaluationContext, docent: DocentResource, source: SourceResource):
    ws = docent.workspace
    roots = roots_for(source, ws)
    if not roots:
        return dg.SkipReason("no sources configured: set sync.sources (DOCENT_SYNC__SOURCES) or the source resource")
    ingestor = ws.ingestor()
    requests, notes, deleted = [], [], []
    for root in roots:
        plan = ingestor.detect(root, source.storage_options())
        report = IngestReport(version=ws.version)
        ingestor.record_plan(plan, report)
        for f, reason in plan.skipped:
            context.log.warning(f"skipped, never read: {f.uri}: {reason}")
        if plan.deletion_blocked:
            ws.alerts.raise_alert("mass-deletion", root, plan.deletion_blocked)
            context.log.error(plan.deletion_blocked)
        else:
            ws.alerts.resolve(f"mass-deletion:{root}")
        if plan.gone:
            ingestor.remove(plan.gone, report)
            ws.index.refresh()
        root_uri = normalise_root(root)
        gone = [relative_path(r.source_uri, root_uri) for r in plan.gone]
        deleted.extend(deletion_event(path, r, ws.version) for path, r in zip(gone, plan.gone))
        size = ws.settings.sync.batch_documents
        for i in range(0, len(plan.todo), size):
            files = plan.todo[i : i + size]
            key = ws.batches.create(ws.version, root, files).batch_id
            requests.append(dg.RunRequest(partition_key=key, run_key=key, tags=batch_tags(ws.version, root, files)))
        notes.append(f"{root}: {len(plan.todo)} to ingest, {len(gone)} deleted"
                     + (f" ({named(gone)})" if gone else "")
                     + f", {len(plan.unchanged)} unchanged"
                     + (f", {len(plan.skipped)} skipped (never read: links out of the source, special files)"
                        if plan.skipped else ""))
    context.log.info("; ".join(notes))
    # The deleted documents' partitions go: the events above stay in the asset's history.
    forget = [document_partitions.build_delete_request([e.partition for e in deleted])] if deleted else []
    if not requests:
        return dg.SensorResult(skip_reason="; ".join(notes), asset_events=deleted, dynamic_partitions_requests=forget)
    return dg.SensorResult(
        run_requests=requests, asset_events=deleted,
        dynamic_partitions_requests=[batch_partitions.build_add_request([r.partition_key for r in requests]), *forget],
    )
