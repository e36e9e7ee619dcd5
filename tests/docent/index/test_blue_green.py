"""Blue-green end to end: a new version is built beside the live one, checked, promoted and
rolled back while searches keep running, with the real model, LanceDB and SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from docent.index.promotion import PromotionRefused, promote, rollback
from docent.ingest.chunk import doc_id_for
from docent.workspace import ALIAS_TTL_S, Workspace


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(6):
        (root / f"note{i}.md").write_text(f"# Note {i}\n\n" + " ".join(f"Fact {i}.{j} about widget {i}." for j in range(60)))
    return root


def workspace(settings, embedder, max_tokens: int) -> Workspace:
    s = settings.model_copy(update={"chunking": settings.chunking.model_copy(update={"max_tokens": max_tokens})})
    ws = Workspace(s)
    ws.__dict__["embedder"] = embedder
    return ws


def test_new_version_builds_beside_live_then_promotes_and_rolls_back_under_search(settings, embedder, corpus):
    blue = workspace(settings, embedder, 250)
    first = blue.ingest(str(corpus))
    assert blue.versions.alias() == (first.version, None)  # the first version goes live by itself

    green = workspace(settings, embedder, 64)  # a different chunker: a new version
    built = green.ingest(str(corpus))
    assert built.version != first.version and built.chunks > first.chunks
    assert blue.versions.alias()[0] == first.version  # still live: search reads blue
    assert {h.chunk.fingerprint for h in green.retriever.search("widget 3", k=5)} == {first.version}

    errors, seen, stop, switched = [], set(), threading.Event(), threading.Event()

    def searching():
        reader = workspace(settings, embedder, 250).retriever
        while not stop.is_set():
            try:
                seen.update(h.chunk.fingerprint for h in reader.search("widget 3", k=3))
            except Exception as exc:  # any failed search fails the test
                errors.append(exc)
            if built.version in seen:
                switched.set()

    thread = threading.Thread(target=searching)
    thread.start()
    try:
        done = promote(green, built.version)
        assert done.old == first.version and done.new == built.version and done.switch_seconds < 1.0
        # the running searcher switches on its first search after the alias TTL; a loaded CI
        # machine may take a while per search, hence the generous bound
        assert switched.wait(ALIAS_TTL_S + 30), f"the searcher never saw the promoted version: {seen}"
        assert {h.chunk.fingerprint for h in blue.retriever.search("widget 3", k=5)} == {built.version}
        back = rollback(green)
        assert (back.old, back.new) == (built.version, first.version)
    finally:
        stop.set()
        thread.join()
    assert errors == []


def test_promotion_is_refused_when_the_index_disagrees_with_the_manifest(settings, embedder, corpus):
    blue = workspace(settings, embedder, 250)
    blue.ingest(str(corpus))
    green = workspace(settings, embedder, 64)
    built = green.ingest(str(corpus))
    green.index.delete_documents([doc_id_for((corpus / "note2.md").as_uri())])  # chunks lost behind our back
    with pytest.raises(PromotionRefused, match="wrong chunk counts"):
        promote(green, built.version)
    assert green.versions.alias()[0] == blue.version
