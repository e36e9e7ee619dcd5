"""Sensor ticks and ingestion runs on a throwaway Dagster instance, with the real model and LanceDB."""

from pathlib import Path

import dagster as dg
import numpy as np

from docent.embed import Embedder
from docent.ingest import pipeline
from docent.ingest.chunk import doc_id_for


def workspace(defs: dg.Definitions):
    return defs.resources["docent"].workspace


def test_sensor_requests_one_batch_and_the_run_indexes_it(defs, instance, corpus: Path, tick, run_all):
    requests, _ = tick()
    assert len(requests) == 1
    (result,) = run_all(requests)
    assert result.success
    ws = workspace(defs)
    hits = ws.retriever.search("how long is parental leave", k=1)
    assert "sixteen weeks" in hits[0].chunk.text

    (meta,) = [m.metadata for m in result.asset_materializations_for_node("indexed_chunks") if m.asset_key.path == ["indexed_chunks"]]
    assert meta["documents"].value == 3 and meta["quarantined"].value == 1
    assert meta["index_version"].value == ws.version and meta["live_version"].value == ws.version
    assert len(meta["documents_table"].value.records) == 4

    good, bad = doc_id_for((corpus / "leave.md").as_uri()), doc_id_for((corpus / "broken.pdf").as_uri())
    assert {good, bad} <= set(instance.get_dynamic_partitions("documents"))
    indexed = instance.get_materialized_partitions(dg.AssetKey("documents"))
    assert good in indexed and bad not in indexed
    check = dg.AssetCheckKey(dg.AssetKey("documents"), "ingested")
    info = {i.partition_key: i.latest_execution_status.value for i in
            instance.event_log_storage.get_asset_check_partition_info([check], partition_keys=[bad])}
    assert info == {bad: "FAILED"}
    assert ws.manifest.all()[bad].stage == "parse"

    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"parsed_text_not_empty": True, "chunk_tokens_within_limit": True, "chunk_ids_unique": True,
                      "embedding_dimension_and_norm": True, "index_matches_manifest": True, "ingested": False}


def test_next_tick_picks_up_changed_and_removed_files_reading_only_those(defs, instance, corpus, tick, run_all, monkeypatch):
    run_all(tick()[0])
    ws = workspace(defs)
    (corpus / "travel.txt").write_text("Hotels are capped at 220 euros per night in Oslo.\n")
    (corpus / "offices.csv").touch()  # new mtime, same bytes: recorded, not re-ingested
    (corpus / "leave.md").unlink()
    (corpus / "new.md").write_text("# Badges\n\nLost badges are replaced at reception.\n")
    reads = []
    real = pipeline.read_bytes
    monkeypatch.setattr(pipeline, "read_bytes", lambda uri, opts=None: reads.append(uri) or real(uri, opts))

    requests, _ = tick()
    assert reads == [(corpus / "offices.csv").as_uri(), (corpus / "travel.txt").as_uri()]  # only stat-changed ones
    batch = ws.batches.get(requests[0].partition_key)
    assert sorted(f.name for f in batch.files) == ["new.md", "travel.txt"]
    assert doc_id_for((corpus / "leave.md").as_uri()) not in ws.index.chunk_counts()  # removed by the tick itself

    assert all(r.success for r in run_all(requests))
    assert "220 euros" in ws.retriever.search("hotel cap Oslo", k=1)[0].chunk.text
    assert tick() == ([], f"{corpus}: 0 to ingest, 0 deleted, 4 unchanged")  # broken.pdf stays quarantined


def test_mass_deletion_guard_deletes_nothing_and_raises_an_alert(defs, instance, corpus, tick, run_all, monkeypatch):
    for i in range(20):
        (corpus / f"note{i}.txt").write_text(f"Note {i} about widget {i}.\n")
    run_all(tick()[0])
    ws = workspace(defs)
    before = ws.index.count()
    for i in range(10):
        (corpus / f"note{i}.txt").unlink()  # 10 of 24 known documents vanish from the listing

    assert tick()[0] == []
    assert ws.index.count() == before
    (alert,) = ws.alerts.recent()
    assert alert.kind == "mass-deletion" and "10 of 24 documents" in alert.message


def test_a_failing_blocking_check_keeps_the_batch_out_of_the_index(defs, instance, tick, run_all, monkeypatch):
    real = Embedder.encode
    monkeypatch.setattr(Embedder, "encode", lambda self, texts: real(self, texts) * np.float32(3.0))  # a broken backend
    job = defs.resolve_job_def("ingest_job")
    (request,) = tick()[0]
    result = job.execute_in_process(instance=instance, partition_key=request.partition_key, raise_on_error=False)
    assert not result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["embedding_dimension_and_norm"] is False
    assert workspace(defs).index.count() == 0  # indexed_chunks never ran


def test_docent_ingest_through_dagster_records_runs_and_the_same_report(defs, instance, corpus):
    from assets.run_ingest import ingest_with_dagster

    done = ingest_with_dagster(str(corpus), docent=defs.resources["docent"], instance=instance)
    assert len(done.run_ids) == 1 and done.failed_runs == []
    assert instance.get_run_by_id(done.run_ids[0]).tags["docent/source"] == "cli"
    report = done.report
    assert len(report.new) == 3 and list(report.quarantined) == [(corpus / "broken.pdf").as_uri()]
    assert report.chunks == defs.resources["docent"].workspace.index.count() > 0
    again = ingest_with_dagster(str(corpus), docent=defs.resources["docent"], instance=instance)
    assert again.run_ids == [] and len(again.report.unchanged) == 4


def test_re_materializing_a_batch_retries_its_quarantined_documents(defs, instance, corpus, tick):
    travel = corpus / "travel.txt"
    text = travel.read_text()
    (request,) = tick()[0]
    travel.write_text("")  # caught half-written: this run quarantines it
    job = defs.resolve_job_def("ingest_job")
    assert job.execute_in_process(instance=instance, partition_key=request.partition_key).success  # the batch goes on
    ws = defs.resources["docent"].workspace
    record = ws.manifest.all()[doc_id_for(travel.as_uri())]
    assert (record.status, record.stage) == ("quarantined", "parse")

    travel.write_text(text)
    assert job.execute_in_process(instance=instance, partition_key=request.partition_key).success  # re-materialize
    assert ws.manifest.all()[doc_id_for(travel.as_uri())].status == "indexed"
    assert "180 euros" in ws.retriever.search("hotel cap Lisbon", k=1)[0].chunk.text
