"""The ``documents`` partitions are document ids; every event on them names the file, relative to its source."""

from pathlib import Path

import dagster as dg

from docent.ingest.chunk import doc_id_for

DOCUMENTS = dg.AssetKey("documents")


def history(instance: dg.DagsterInstance, doc_id: str) -> list[dict]:
    """The document's materializations, oldest first: description and metadata values."""
    records = instance.fetch_materializations(dg.AssetRecordsFilter(DOCUMENTS, asset_partitions=[doc_id]), limit=10).records
    events = [r.asset_materialization for r in reversed(records)]
    return [{"description": e.description, **{k: v.value for k, v in e.metadata.items()}} for e in events]


def test_indexing_quarantine_and_deletion_events_name_their_file(defs, instance, corpus: Path, tick, run_all):
    (corpus / "policies").mkdir()
    guide = corpus / "policies" / "travel guide.md"
    guide.write_text("# Trains\n\nTake the train under four hours.\n")
    (request,) = tick()[0]
    assert request.tags["docent/files"] == "broken.pdf, leave.md, offices.csv, policies/travel guide.md, travel.txt"
    (result,) = run_all([request])

    (event,) = history(instance, doc_id_for(guide.as_uri()))
    assert event["path"] == "policies/travel guide.md" and event["status"] == "indexed"
    assert event["description"] == f"policies/travel guide.md: indexed, {event['chunks']} chunks"
    (failed,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "ingested"]
    assert failed.metadata["path"].value == "broken.pdf"
    assert failed.description == "broken.pdf: quarantined at parse"

    # a tick that deletes names the files and records the deletions
    leave = doc_id_for((corpus / "leave.md").as_uri())
    (corpus / "leave.md").unlink()
    requests, skipped = tick()
    assert requests == [] and skipped == f"{corpus}: 0 to ingest, 1 deleted (leave.md), 4 unchanged"
    indexed, deleted = history(instance, leave)
    assert (indexed["status"], deleted["status"]) == ("indexed", "deleted")
    assert deleted["path"] == "leave.md" and deleted["description"] == "leave.md: deleted (gone from its source)"
    assert leave not in instance.get_dynamic_partitions("documents")  # the events stay, the partition goes

    (corpus / "travel.txt").unlink()
    (corpus / "new.md").write_text("# Badges\n\nLost badges are replaced at reception.\n")
    (request,) = tick()[0]  # a tick that requests a run records its deletions all the same
    assert request.tags["docent/files"] == "new.md"
    assert history(instance, doc_id_for((corpus / "travel.txt").as_uri()))[-1]["status"] == "deleted"
