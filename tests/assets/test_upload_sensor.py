"""Files uploaded through the API are a source like the configured ones: the sensor's next tick ingests them."""

import io

from docent.ingest.uploads import Upload, store, upload_dir


def test_the_next_tick_requests_the_uploaded_files_and_their_run_indexes_them(defs, tick, run_all):
    ws = defs.resources["docent"].workspace
    store(upload_dir(ws.settings), [Upload("visitors.md", io.BytesIO(b"# Visitors\n\nVisitors sign in at the Walrus desk.\n"))],
          max_bytes=2**20)
    requests, _ = tick()
    batches = {r.partition_key: ws.batches.get(r.partition_key) for r in requests}
    (upload_run,) = [r for r in requests if [f.name for f in batches[r.partition_key].files] == ["visitors.md"]]
    (result,) = run_all([upload_run])
    assert result.success
    assert "Walrus" in ws.retriever.search("Where do visitors sign in?", k=1)[0].chunk.text
