"""The source sensor: one tick finds new, changed and removed documents and requests the runs.

Only files whose size or mtime changed are read (to hash them); removed files leave the index at
once unless the mass-deletion guard trips, in which case nothing is deleted and an alert is
raised. New work is cut into batches of ``sync.batch_documents`` files, one run each. Files the
listing refuses (a link out of the source, a FIFO) are recorded as skipped, and the tick says so.
"""


import dagster as dg

from assets.ingestion import batch_partitions
from assets.jobs import ingest_job
from assets.resources import DocentResource, SourceResource, roots_for
from docent.ingest.pipeline import IngestReport


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def source_sensor(context: dg.SensorEvaluationContext, docent: DocentResource, source: SourceResource):
    ws = docent.workspace
    roots = roots_for(source, ws)
    if not roots:
        return dg.SkipReason("no sources configured: set sync.sources (DOCENT_SYNC__SOURCES) or the source resource")
    ingestor = ws.ingestor()
    keys, notes = [], []
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
        size = ws.settings.sync.batch_documents
        for i in range(0, len(plan.todo), size):
            keys.append(ws.batches.create(ws.version, root, plan.todo[i : i + size]).batch_id)
        notes.append(f"{root}: {len(plan.todo)} to ingest, {len(report.deleted)} deleted, {len(plan.unchanged)} unchanged"
                     + (f", {len(plan.skipped)} skipped (never read: links out of the source, special files)"
                        if plan.skipped else ""))
    context.log.info("; ".join(notes))
    if not keys:
        return dg.SensorResult(skip_reason="; ".join(notes))
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=k, run_key=k, tags={"docent/version": ws.version}) for k in keys],
        dynamic_partitions_requests=[batch_partitions.build_add_request(keys)],
    )
