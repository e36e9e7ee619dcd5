"""A sentence-transformers model (Transformer, then mean or CLS pooling) run by OpenVINO's own
runtime and the ``tokenizers`` library: the same vectors (cosine 0.99999 to sentence-transformers'
OpenVINO backend on MiniLM) without importing torch, transformers and sentence-transformers, which
cost each process about 7 s and 500 MB. sentence-transformers still exports the model, once.

Texts are batched by length, longest first, and a batch holds at most ``batch_size`` texts and
``batch_size * TOKENS_PER_TEXT`` word pieces: a batch of 64 texts of 256 pieces would make
OpenVINO keep ~450 MB of buffers for its attention; 32 of them need half of that.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

TOKENS_PER_TEXT = 128  # the average a batch may use; shorter texts fill a batch of batch_size
_POOLING = {"mean", "cls"}
_MODULES = ("Transformer", "Pooling", "Normalize")


def runnable(folder: Path) -> bool:
    """Whether ``folder`` (an exported model) is a plain Transformer → Pooling (mean or CLS) →
    optional Normalize pipeline with a fast tokenizer: what this module runs. Anything else
    (a Dense layer, other pooling) stays with sentence-transformers."""
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pooling = _pooling_mode(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return (modules[:2] == list(_MODULES[:2]) and set(modules[2:]) <= {"Normalize"} and pooling in _POOLING
            and (folder / "tokenizer.json").is_file())


class OpenVinoSentenceModel:
    """The part of ``SentenceTransformer``'s interface Docent uses: ``encode`` and the dimension."""

    def __init__(self, folder: Path, file_name: str):
        import openvino as ov
        from tokenizers import Tokenizer

        self.pooling = _pooling_mode(folder)
        self.max_length = _max_length(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()
        self.lower = bool(_json(folder / "sentence_bert_config.json").get("do_lower_case"))
        compiled = ov.Core().compile_model(str(folder / file_name), "CPU", {"PERFORMANCE_HINT": "LATENCY"})
        self.inputs = {i.get_any_name() for i in compiled.inputs}
        self.output = compiled.outputs[0]
        self.request = compiled.create_infer_request()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0

    def get_embedding_dimension(self) -> int:
        return int(self.output.get_partial_shape()[-1].get_length())

    def encode(self, texts: list[str], batch_size: int = 32, convert_to_numpy: bool = True,
               normalize_embeddings: bool = False) -> np.ndarray:
        """Pooled float32 rows for ``texts``, in their order (unit length with ``normalize_embeddings``)."""
        cleaned = [t.strip().lower() if self.lower else t.strip() for t in texts]
        encodings = self.tokenizer.encode_batch(cleaned)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.zeros((len(texts), self.get_embedding_dimension()), dtype=np.float32)
        for batch in _batches(order, [len(e.ids) for e in encodings], batch_size):
            out[batch] = self._run([encodings[i] for i in batch])
        if normalize_embeddings:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _run(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, 1, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.request.infer({k: v for k, v in feeds.items() if k in self.inputs})[self.output]
        if self.pooling == "cls":
            return np.asarray(hidden[:, 0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def _batches(order: list[int], lengths: list[int], batch_size: int) -> list[list[int]]:
    """``order`` (longest first) cut into batches of at most ``batch_size`` texts whose padded
    size (texts × the first, longest one) stays within ``batch_size * TOKENS_PER_TEXT``."""
    budget, batches, current = batch_size * TOKENS_PER_TEXT, [], []
    for i in order:
        if current and (len(current) >= batch_size or (len(current) + 1) * lengths[current[0]] > budget):
            batches.append(current)
            current = []
        current.append(i)
    return batches + [current] if current else batches


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _pooling_mode(folder: Path) -> str:
    config = _json(folder / "1_Pooling" / "config.json")
    if "pooling_mode" in config:  # sentence-transformers 5
        return str(config["pooling_mode"])
    modes = [k.removeprefix("pooling_mode_").removesuffix("_token").removesuffix("_tokens")
             for k, on in config.items() if k.startswith("pooling_mode_") and on is True]
    return modes[0] if len(modes) == 1 else "+".join(modes)


def _max_length(folder: Path) -> int:
    """The word pieces the model reads (as sentence-transformers decides it): its own setting, else
    the tokenizer's, at most 512."""
    named = _json(folder / "sentence_bert_config.json").get("max_seq_length")
    return int(named or min(int(_json(folder / "tokenizer_config.json").get("model_max_length") or 512), 512))
