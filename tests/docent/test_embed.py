import numpy as np
import pytest

from docent.embed import EXPORTED_FILE, Embedder, EmbeddingModelError, model_path
from docent.settings import EmbeddingSettings

TEXTS = ["Parental leave lasts sixteen weeks.", "The Lyon lab opened in 2025.", "x" * 5000]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["openvino", "onnx"])
def test_exported_backends_match_torch_and_export_once(backend, tmp_path, embedder, capfd, caplog):
    fast = Embedder(EmbeddingSettings(backend=backend), tmp_path)
    vectors = fast.encode(TEXTS)
    noise = capfd.readouterr().err + caplog.text
    for chatter in ("Exporting the model", "heavily recommended", "loss_type", "Warning"):
        assert chatter not in noise, f"the one-off export printed {chatter!r}: {noise[:500]}"
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(vectors * embedder.encode(TEXTS), axis=1)
    assert cosine.min() > 0.99
    exported = tmp_path / "models" / f"{fast.path.name}-{backend}" / EXPORTED_FILE[backend]
    assert exported.is_file()
    assert not list(fast.path.glob(EXPORTED_FILE[backend])), "the packaged model folder was written to"


def test_unknown_model_without_a_path_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingModelError, match="DOCENT_EMBEDDING__MODEL_PATH"):
        model_path(EmbeddingSettings(model="intfloat/e5-large"))
    with pytest.raises(EmbeddingModelError, match="no sentence-transformers model"):
        model_path(EmbeddingSettings(model_path=str(tmp_path)))


def test_query_and_batch_vectors_agree(embedder):
    q = embedder.embed_query(TEXTS[0])
    assert np.allclose(q, embedder.encode(TEXTS[:1])[0], atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_concurrent_encodes_and_queries_are_safe_on_the_openvino_backend(tmp_path):
    """OpenVINO models hold one inference request: concurrent callers must not share it unguarded."""
    from concurrent.futures import ThreadPoolExecutor

    emb = Embedder(EmbeddingSettings(backend="openvino", batch_size=8), tmp_path)
    texts = [f"Sentence number {i} about widgets and gears." for i in range(40)]
    expected = emb.encode(texts)
    with ThreadPoolExecutor(max_workers=6) as pool:
        bulk = [pool.submit(emb.encode, texts) for _ in range(3)]
        queries = [pool.submit(emb.embed_query, t) for t in texts[:12]]
        for f in bulk:
            np.testing.assert_allclose(f.result(), expected, atol=1e-5)
        for t, f in zip(texts[:12], queries):
            assert float(f.result() @ expected[texts.index(t)]) > 0.999
    assert emb.query_model is not emb.model
