"""Answer caches inside the chat: exact and semantic hits, never a stale answer after a document changes."""

from __future__ import annotations

import time
import uuid

import pytest

from docent.chat.answer_cache import RedisAnswerCache, SQLiteAnswerCache
from tests.conftest import REDIS_URL
from tests.docent.chat.conftest import collect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_ws(tmp_path_factory):
    from docent.settings import load_settings
    from docent.workspace import Workspace

    root = tmp_path_factory.mktemp("cached")
    docs = root / "docs"
    docs.mkdir()
    (docs / "travel.md").write_text("# Travel\n\nHotels in Lisbon are capped at 180 euros per night.\n")
    (docs / "leave.md").write_text("# Leave\n\nParental leave is sixteen weeks at full pay.\n")
    ws = Workspace(load_settings(data_dir=root / "data", embedding={"backend": "torch", "batch_size": 32}))
    ws.ingest(str(docs))
    yield ws, docs
    ws.close()


@pytest.fixture(params=["sqlite", "redis"])
def answer_cache(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteAnswerCache(tmp_path / "answers.sqlite", ttl_s=3600)
    return RedisAnswerCache(REDIS_URL, ttl_s=3600, prefix=f"test:{uuid.uuid4().hex}")


def test_repeated_and_reworded_questions_are_served_from_cache_until_a_cited_document_changes(
    small_ws, make_service, answer_cache
):
    ws, docs = small_ws
    service = make_service(ws=ws, answer_cache=answer_cache)
    first_id, first = collect(service, "What is the hotel cap in Lisbon?")
    assert first[-1].state == "completed" and "180" in first[-1].text and not first[-1].cache_hit
    assert service.finalizer.flush(30)

    began = time.perf_counter()
    again_id, again = collect(service, "what is the hotel cap in lisbon")
    assert again[-1].cache_hit and again[-1].text == first[-1].text
    assert again[-1].metrics["ttft_ms"] < 50, again[-1].metrics  # served without retrieval or a model call
    assert time.perf_counter() - began < 1

    _, reworded = collect(service, "Tell me the hotel cap in Lisbon")  # cosine 0.977 to the first question
    assert reworded[-1].cache_hit, reworded[-1]
    _, other = collect(service, "What is the hotel cap in Oslo?")  # 0.779: a different question
    assert not other[-1].cache_hit
    assert service.finalizer.flush(30)
    (trace,) = service.store.traces_for(again_id)
    assert trace["cache_hit"] is True

    (docs / "travel.md").write_text("# Travel\n\nHotels in Lisbon are capped at 210 euros per night.\n")
    ws.ingest(str(docs))
    _, fresh = collect(service, "What is the hotel cap in Lisbon?")
    assert not fresh[-1].cache_hit and "210" in fresh[-1].text
    (docs / "travel.md").write_text("# Travel\n\nHotels in Lisbon are capped at 180 euros per night.\n")
    ws.ingest(str(docs))
