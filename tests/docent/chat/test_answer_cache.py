from __future__ import annotations

import statistics
import time
import uuid

import numpy as np
import pytest
import redis

from docent.chat import answer_cache
from docent.chat.answer_cache import (
    CachedAnswer,
    RedisAnswerCache,
    SQLiteAnswerCache,
    exact_key,
    is_fresh,
    normalize_question,
    open_answer_cache,
    scope_key,
)
from docent.generate.prompts import PROMPT_VERSION
from docent.settings import CacheSettings
from tests.concurrency import all_at_once
from tests.conftest import REDIS_URL

SCOPE = scope_key(filters=None, context="", index_version="idx1", model="local/extractive", prompt_version=PROMPT_VERSION)


def answer(text: str = "X is a thing [1].", docs: dict[str, str] | None = None, question: str = "what is x") -> CachedAnswer:
    source = {"n": 1, "chunk_id": "c1", "doc_id": "d1", "source_uri": "file:///a.md", "text": "X is a thing.", "score": 0.9,
              "content_hash": "h1", "page": None, "section": ""}
    return CachedAnswer(text=text, sources=[source], citations=[{"n": 1, "doc_id": "d1", "quote": "X is a thing."}],
                        docs={"d1": "h1"} if docs is None else docs, model="local/extractive", created_at=time.time(),
                        question=question)


def vec(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


@pytest.fixture(params=["sqlite", "redis"])
def make_cache(request, tmp_path):
    """A factory, so that a test can pick the TTL; each Redis test gets its own prefix and cleans it up."""
    prefix = f"test:answers:{uuid.uuid4().hex}"

    def make(ttl_s: int = 3600):
        if request.param == "sqlite":
            return SQLiteAnswerCache(tmp_path / "answers.sqlite", ttl_s)
        return RedisAnswerCache(REDIS_URL, ttl_s, prefix=prefix)

    make.backend = request.param
    make.prefix = prefix
    yield make
    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(f"{prefix}:*"):
        r.delete(key)


def test_normalize_question():
    assert normalize_question("What is X?") == normalize_question("  what is  x ") == "what is x"
    assert normalize_question("¿Qué   es\tＸ？") == "qué es x"  # NFKC folds the full-width letter and mark
    assert normalize_question('"STRASSE"') == normalize_question("straße")
    assert normalize_question("What is C#?") == "what is c#" != normalize_question("What is C?")


def test_scope_key_covers_everything_but_the_question():
    base = dict(filters={"a": 1, "b": ["x"]}, context="", index_version="v1", model="m", prompt_version="p1")
    key = scope_key(**base)
    assert len(key) == 32
    assert scope_key(**{**base, "filters": {"b": ["x"], "a": 1}}) == key
    assert scope_key(**{**base, "filters": None}) == scope_key(**{**base, "filters": {}})
    for change in ({"filters": {"a": 2}}, {"context": "h"}, {"index_version": "v2"}, {"model": "m2"}, {"prompt_version": "p2"}):
        assert scope_key(**{**base, **change}) != key
    assert exact_key("What is X?", key) == exact_key("  what is  x ", key) != exact_key("what is x", SCOPE)


def test_exact_round_trip_with_normalization(make_cache):
    cache = make_cache()
    stored = answer()
    cache.put(exact_key("What is X?", SCOPE), SCOPE, stored)
    assert cache.get(exact_key("  what is  x ", SCOPE)) == stored
    assert cache.get(exact_key("what is y", SCOPE)) is None


def test_another_scope_misses(make_cache):
    cache = make_cache()
    cache.put(exact_key("what is x", SCOPE), SCOPE, answer(), vec(1, 0, 0))
    other = scope_key(filters={"tag": "hr"}, context="", index_version="idx1", model="local/extractive",
                      prompt_version=PROMPT_VERSION)
    assert cache.get(exact_key("what is x", other)) is None
    assert cache.find_similar(other, vec(1, 0, 0), 0.5) is None


def test_semantic_hit_above_threshold_and_miss_below(make_cache):
    cache = make_cache()
    near, far = answer("near [1]."), answer("far [1].")
    cache.put("k-near", SCOPE, near, vec(3, 0, 0, 0))  # not unit length: normalised on the way in
    cache.put("k-far", SCOPE, far, vec(0, 1, 0, 0))
    cache.put("k-plain", SCOPE, answer("no vector"))
    found = cache.find_similar(SCOPE, vec(0.99, 0.1, 0, 0), 0.95)
    assert found is not None
    hit, similarity, key = found
    assert (hit, key) == (near, "k-near") and similarity == pytest.approx(0.99 / np.hypot(0.99, 0.1), abs=1e-6)
    assert cache.find_similar(SCOPE, vec(0.7, 0.7, 0, 0), 0.95) is None
    assert cache.find_similar(SCOPE, vec(0.7, 0.7, 0, 0, 0), 0.1) is None  # another dimension never matches


def test_semantic_search_is_confined_to_its_scope(make_cache):
    cache = make_cache()
    follow_up = scope_key(filters=None, context="history-hash", index_version="idx1", model="local/extractive",
                          prompt_version=PROMPT_VERSION)
    cache.put("k1", SCOPE, answer("first question [1]."), vec(1, 0, 0))
    cache.put("k2", follow_up, answer("follow-up [1]."), vec(0, 1, 0))
    assert cache.find_similar(follow_up, vec(1, 0, 0), 0.9) is None
    assert cache.find_similar(follow_up, vec(0, 1, 0), 0.9)[2] == "k2"
    assert cache.find_similar(SCOPE, vec(1, 0, 0), 0.9)[2] == "k1"


def test_entries_expire_after_the_ttl(make_cache):
    """Sleeps of 0.6 × TTL: a loaded CI machine has 0.8 s of slack on each side."""
    cache = make_cache(ttl_s=2)
    cache.put("old", SCOPE, answer("old [1]."), vec(1, 0))
    assert cache.get("old") is not None and cache.find_similar(SCOPE, vec(1, 0), 0.9) is not None
    time.sleep(1.2)
    cache.put("new", SCOPE, answer("new [1]."), vec(0, 1))  # on Redis this also keeps the scope's hash alive
    time.sleep(1.2)
    assert cache.get("old") is None
    assert cache.find_similar(SCOPE, vec(1, 0), 0.9) is None
    assert cache.find_similar(SCOPE, vec(0, 1), 0.9)[2] == "new"
    if make_cache.backend == "redis":  # the expired entry's vector was dropped by the search
        assert redis.Redis.from_url(REDIS_URL).hkeys(f"{make_cache.prefix}:scope:{SCOPE}") == [b"new"]
    time.sleep(1.2)
    assert cache.get("new") is None and cache.find_similar(SCOPE, vec(0, 1), 0.9) is None


def test_delete(make_cache):
    cache = make_cache()
    cache.put("k", SCOPE, answer(), vec(1, 0))
    cache.delete("k")
    cache.delete("never-stored")
    assert cache.get("k") is None
    assert cache.find_similar(SCOPE, vec(1, 0), 0.9) is None
    if make_cache.backend == "redis":  # the dangling vector went with the search
        assert redis.Redis.from_url(REDIS_URL).hlen(f"{make_cache.prefix}:scope:{SCOPE}") == 0


def test_an_unreadable_entry_is_a_miss(make_cache):
    cache = make_cache()
    cache.put("k", SCOPE, answer())
    if make_cache.backend == "redis":
        redis.Redis.from_url(REDIS_URL).set(f"{make_cache.prefix}:k", '{"text": "an older layout"}')
    else:
        with cache._db:
            cache._db.execute("UPDATE answers SET body = ? WHERE key = 'k'", ("not json",))
    assert cache.get("k") is None


def test_is_fresh():
    cited = answer(docs={"d1": "h1", "d2": "h2"})
    assert is_fresh(cited, lambda ids: {"d1": "h1", "d2": "h2", "other": "x"})
    assert not is_fresh(cited, lambda ids: {"d1": "h1", "d2": "changed"})
    assert not is_fresh(cited, lambda ids: {"d1": "h1"})  # d2 was deleted
    asked: list[list[str]] = []
    assert is_fresh(answer(docs={}), lambda ids: asked.append(ids) or {})
    assert asked == []


def test_sqlite_persists_across_reopen(tmp_path):
    path = tmp_path / "data" / "answer-cache.sqlite"
    SQLiteAnswerCache(path, 3600).put("k", SCOPE, stored := answer(), vec(0, 1))
    reopened = SQLiteAnswerCache(path, 3600)
    assert reopened.get("k") == stored
    assert reopened.find_similar(SCOPE, vec(0, 1), 0.99)[0] == stored


def test_semantic_search_reads_only_the_newest_entries(make_cache, monkeypatch):
    monkeypatch.setattr(answer_cache, "_SCAN_LIMIT", 2)
    cache = make_cache()
    for i, v in enumerate([vec(1, 0), vec(0, 1), vec(0, 1)]):
        cache.put(f"k{i}", SCOPE, answer(f"answer {i}"), v)
        time.sleep(0.01)
    assert cache.find_similar(SCOPE, vec(1, 0), 0.9) is None
    assert cache.find_similar(SCOPE, vec(0, 1), 0.9)[2] == "k2"


def test_sqlite_concurrent_puts_and_gets(tmp_path):
    cache = SQLiteAnswerCache(tmp_path / "a.sqlite", 3600)

    def work(t: int) -> None:
        for i in range(40):
            key = f"t{t}-{i}"
            stored = answer(f"thread {t} answer {i}")
            cache.put(key, SCOPE, stored, np.random.default_rng(t * 100 + i).standard_normal(8))
            assert cache.get(key) == stored
            cache.find_similar(SCOPE, np.ones(8), 0.99)

    all_at_once(work, range(8))
    assert all(cache.get(f"t{t}-39") is not None for t in range(8))


def test_open_answer_cache_picks_the_backend(tmp_path):
    assert isinstance(open_answer_cache(tmp_path, CacheSettings(redis_url=REDIS_URL)), RedisAnswerCache)
    embedded = open_answer_cache(tmp_path, CacheSettings())
    assert isinstance(embedded, SQLiteAnswerCache) and (tmp_path / "answer-cache.sqlite").exists()


def test_a_hit_is_served_within_10ms(make_cache):
    cache = make_cache()
    key = exact_key("what is x", SCOPE)
    cache.put(key, SCOPE, answer(), np.ones(384))
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        assert cache.get(key) is not None
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(f"\n[answer cache] {make_cache.backend} get hit: median {median * 1e3:.3f} ms, max {max(timings) * 1e3:.3f} ms")
    assert median < 0.010
