"""Blue-green through Dagster (a config change builds a new version; the promotion job switches
the alias after its checks) and the nightly reconciliation repairing drift."""

import uuid
from dataclasses import replace

import numpy as np

from docent.ingest.chunk import doc_id_for


def test_config_change_builds_beside_live_and_the_promotion_job_switches(defs, instance, tick, run_all, monkeypatch, tmp_path):
    golden = tmp_path / "golden.jsonl"  # the promotion's gate: this corpus's golden set, answered over the candidate
    golden.write_text('{"question": "How long is parental leave?", "reference_answer": "Parental leave is sixteen weeks at full pay.",'
                      ' "reference_contexts": ["Parental leave is sixteen weeks at full pay."]}\n')
    monkeypatch.setenv("DOCENT_EVALUATION__GOLDEN", str(golden))
    run_all(tick()[0])
    ws_blue = defs.resources["docent"].workspace
    blue = ws_blue.version

    monkeypatch.setenv("DOCENT_CHUNKING__MAX_TOKENS", "64")  # a new chunker: a new index version
    ws_green = defs.resources["docent"].workspace
    assert ws_green.version != blue
    assert all(r.success for r in run_all(tick()[0]))
    assert ws_green.versions.alias()[0] == blue  # built beside the live one, not promoted

    job = defs.resolve_job_def("promote_index_job")
    refused = job.execute_in_process(
        instance=instance, raise_on_error=False, run_config={"ops": {"promote_version": {"config": {"version": "nope"}}}}
    )
    assert not refused.success
    golden.write_text('{"question": "What is the price of a Porter P9 robot?", "reference_answer": "One million dollars.",'
                      ' "reference_contexts": ["The Porter P9 robot costs one million dollars per unit."]}\n')
    gated = job.execute_in_process(
        instance=instance, raise_on_error=False, run_config={"ops": {"promote_version": {"config": {"version": ws_green.version}}}}
    )
    assert not gated.success and ws_green.versions.alias()[0] == blue  # the golden set failed on the candidate
    golden.write_text('{"question": "How long is parental leave?", "reference_answer": "Parental leave is sixteen weeks at full pay.",'
                      ' "reference_contexts": ["Parental leave is sixteen weeks at full pay."]}\n')
    done = job.execute_in_process(
        instance=instance, run_config={"ops": {"promote_version": {"config": {"version": ws_green.version}}}}
    )
    assert done.success and ws_green.versions.alias() == (ws_green.version, blue)
    assert {h.chunk.fingerprint for h in ws_blue.retriever.search("parental leave", k=3)} == {ws_green.version}


def test_reconciliation_requeues_documents_whose_index_entries_drifted(defs, instance, corpus, tick, run_all):
    run_all(tick()[0])
    ws = defs.resources["docent"].workspace
    travel, leave = (doc_id_for((corpus / name).as_uri()) for name in ("travel.txt", "leave.md"))
    ws.index.delete_documents([travel])  # drift: chunks lost behind the manifest's back
    stored = ws.index.fetch({"doc_id": leave}, 100)
    vectors = np.zeros((len(stored), ws.embedder.dim), dtype=np.float32)
    ws.index.upsert([replace(c, chunk_id=str(uuid.uuid4())) for c in stored], vectors)  # duplicates, on purpose
    stranger = str(uuid.uuid4())
    ws.index.upsert([replace(stored[0], chunk_id=str(uuid.uuid4()), doc_id=stranger)], vectors[:1])  # an orphan row

    done = defs.resolve_job_def("reconcile_job").execute_in_process(instance=instance)
    assert done.success
    [output] = [e.step_output_data for e in done.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = {k: v.value for k, v in output.metadata.items()}
    assert meta == {"requeued": 2, "orphans_removed": 1, "rows_removed": 2 * len(stored) + 1}
    assert ws.index.chunk_ids(stranger) == set() and ws.index.chunk_ids(leave) == set()
    requests, _ = tick()
    assert sorted(f.name for f in ws.batches.get(requests[0].partition_key).files) == ["leave.md", "travel.txt"]
    run_all(requests)
    counts = ws.index.chunk_counts()
    assert counts[travel] == ws.manifest.all()[travel].chunks > 0
    assert counts[leave] == ws.manifest.all()[leave].chunks == len(ws.index.chunk_ids(leave)) > 0  # once, not twice
