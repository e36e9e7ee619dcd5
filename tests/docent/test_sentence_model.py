"""The OpenVINO runtime path: the same vectors as sentence-transformers, without torch, in bounded batches."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from docent.embed import EXPORTED_FILE, Embedder
from docent.sentence_model import TOKENS_PER_TEXT, OpenVinoSentenceModel, _batches, runnable
from docent.settings import EmbeddingSettings

TEXTS = ["Parental leave lasts sixteen weeks.", "  The Lyon lab opened in 2025.  ", "gear " * 400, "ok"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    emb = Embedder(EmbeddingSettings(backend="openvino"), tmp_path_factory.mktemp("ov"))
    emb.encode(["export once"])
    return emb.models_dir / f"{emb.path.name}-openvino"


def test_the_exported_minilm_runs_without_sentence_transformers_and_matches_it(exported: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = OpenVinoSentenceModel(exported, EXPORTED_FILE["openvino"])
    reference = SentenceTransformer(str(exported), backend="openvino", device="cpu",
                                    model_kwargs={"file_name": EXPORTED_FILE["openvino"]})
    a = model.encode(TEXTS, batch_size=2, normalize_embeddings=True)
    b = reference.encode(TEXTS, batch_size=2, normalize_embeddings=True)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert a.shape == (4, model.get_embedding_dimension()) == (4, 384)
    assert np.sum(a * b, axis=1).min() > 0.9999  # the 400-word text is cut at 256 pieces by both


def test_an_ingesting_process_never_imports_torch(exported: Path, tmp_path: Path) -> None:
    """What saves each process ~7 s and ~500 MB: checked in a fresh interpreter."""
    code = ("import sys; from pathlib import Path; from docent.embed import Embedder; "
            "from docent.settings import EmbeddingSettings; "
            f"e = Embedder(EmbeddingSettings(backend='openvino'), Path({str(tmp_path)!r}), "
            f"models_dir=Path({str(exported.parent)!r})); print(e.encode(['hello']).shape, e.dim); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["(1, 384) 384", "[]"]


def test_a_model_with_more_than_pooling_stays_with_sentence_transformers(exported: Path, tmp_path: Path) -> None:
    assert runnable(exported)
    odd = tmp_path / "odd"
    shutil.copytree(exported, odd)
    modules = json.loads((odd / "modules.json").read_text())
    (odd / "modules.json").write_text(json.dumps([*modules[:2], {**modules[1], "type": "x.Dense", "path": "2_Dense"}]))
    assert not runnable(odd)
    (odd / "modules.json").write_text(json.dumps(modules))
    (odd / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "weightedmean"}))
    assert not runnable(odd)
    (odd / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True,
                                                               "pooling_mode_mean_tokens": False}))
    assert runnable(odd)


def test_batches_hold_at_most_batch_size_texts_and_a_token_budget() -> None:
    lengths = [256] * 40 + [10] * 100
    batches = _batches(list(range(140)), lengths, batch_size=64)
    assert sorted(i for b in batches for i in b) == list(range(140))
    for batch in batches:
        assert len(batch) <= 64 and len(batch) * lengths[batch[0]] <= 64 * TOKENS_PER_TEXT
    assert [len(b) for b in batches] == [32, 32, 64, 12]  # 32 while a long text heads the batch, then 64
