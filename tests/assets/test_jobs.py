"""Blue-green through Dagster (a config change builds a new version; the promotion job switches
the alias after its checks) and the nightly reconciliation repairing drift."""

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
    travel = doc_id_for((corpus / "travel.txt").as_uri())
    ws.index.delete_documents([travel])  # drift: chunks lost behind the manifest's back

    assert defs.resolve_job_def("reconcile_job").execute_in_process(instance=instance).success
    requests, _ = tick()
    assert [f.name for f in ws.batches.get(requests[0].partition_key).files] == ["travel.txt"]
    run_all(requests)
    assert ws.index.chunk_counts()[travel] == ws.manifest.all()[travel].chunks > 0

