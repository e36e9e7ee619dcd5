import uuid

import numpy as np
import pytest

from docent.cache import RedisEmbeddingCache, SQLiteEmbeddingCache
from docent.embed import Embedder
from docent.settings import EmbeddingSettings
from tests.conftest import REDIS_URL


@pytest.fixture(params=["sqlite", "redis"])
def cache(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteEmbeddingCache(tmp_path / "c.sqlite")
    return RedisEmbeddingCache(REDIS_URL, prefix=f"test:{uuid.uuid4().hex}")


def test_round_trip_by_model_and_hash(cache):
    v = np.arange(4, dtype=np.float32)
    cache.put_many("m1", {"h1": v})
    assert np.array_equal(cache.get_many("m1", ["h1", "h2"])["h1"], v)
    assert cache.get_many("m2", ["h1"]) == {}


def test_embedder_never_embeds_the_same_text_twice(cache, tmp_path, embedder):
    cached = Embedder(EmbeddingSettings(backend="torch"), tmp_path, cache)
    first, computed = cached.embed(["alpha beta", "gamma", "alpha beta"])
    assert computed == 2
    again, computed = cached.embed(["gamma", "alpha beta", "new text"])
    assert computed == 1
    assert np.allclose(again[0], first[1]) and np.allclose(again[1], first[0])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)
    assert np.allclose(first[0], embedder.encode(["alpha beta"])[0], atol=1e-5)
