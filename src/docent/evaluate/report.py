"""A run as people read it: the metric table (with thresholds and the run's verdicts), its worst answers and
the chunks they were given, and the question-by-question difference between two golden runs."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from docent.evaluate.catalog import METRICS
from docent.evaluate.results import EvalStore, RunRecord, RunStatus
from docent.index.base import Chunk, VectorIndex

# The metrics that say most about an answer, worst first: what "worst answers" sorts by.
SEVERITY = ("faithfulness", "grounding", "semantic_similarity", "recall@k", "answered", "citation_validity")


NOT_ENOUGH_DATA = RunStatus.NOT_ENOUGH_DATA.label


def metric_table(run: RunRecord) -> list[dict]:
    """Per metric: its mean, on how many answers, its threshold, and its status: the finding's kind (threshold,
    regression), ok, n/a (no threshold, nothing determined) or "not enough data" (a threshold it could not be judged by)."""
    bounds = run.config.get("thresholds") or run.config.get("gate") or {}
    flagged = {f["metric"]: f["kind"] for f in run.findings or []}
    passed = {k.rsplit(":", 1)[-1] for k in run.config.get("checks_passed", [])}
    rows = []
    for name, stats in sorted((run.summary or {}).items(), key=lambda kv: list(METRICS).index(kv[0]) if kv[0] in METRICS else 99):
        mean = stats.get("mean")
        status = flagged.get(name) or ("ok" if name in passed else NOT_ENOUGH_DATA if name in bounds
                                       else "n/a" if mean is None else "ok")
        rows.append({"metric": name, "value": None if mean is None else round(mean, 4), "n": stats.get("n", 0),
                     "undetermined": stats.get("missing", 0), "threshold": bounds.get(name), "status": status})
    return rows


def worst_cases(store: EvalStore, run: RunRecord, n: int = 10) -> list[dict]:
    frame = store.scores([run.id])
    if frame.empty:
        return []
    keys = [m for m in SEVERITY if m in frame.columns]
    frame = frame.sort_values(keys, na_position="last") if keys else frame
    cols = ["item_key", "question", "answer", "stratum", *keys]
    out = frame[cols].head(n)  # whole answers: whoever reads the table decides how much of them to show
    return out.astype(object).where(out.notna(), None).to_dict("records")


def chunks_by_id(index: VectorIndex, ids: Iterable[str]) -> dict[str, Chunk]:
    """The chunks of ``ids`` still in ``index`` (one query): what a run's stored chunk ids point at."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {c.chunk_id: c for c in index.fetch({"chunk_id": wanted}, limit=len(wanted))}


def compare(store: EvalStore, a: RunRecord, b: RunRecord, metric: str) -> pd.DataFrame:
    """Question by question, ``metric`` in run A and in run B, and which way it moved (golden runs of one set)."""
    frames = store.scores([a.id, b.id])
    if frames.empty or metric not in frames.columns:
        return pd.DataFrame(columns=["question", "A", "B", "change", "verdict"])
    pivot = frames.pivot_table(index="question", columns="run_id", values=metric, aggfunc="mean", dropna=False)
    pivot = pivot.reindex(index=sorted(frames["question"].unique()), columns=[a.id, b.id])
    out = pd.DataFrame({"A": pivot[a.id], "B": pivot[b.id]}).rename_axis("question").reset_index()
    out["change"] = out["B"] - out["A"]
    better = METRICS[metric].higher_is_better if metric in METRICS else True
    sign = out["change"] if better else -out["change"]
    out["verdict"] = ["better" if s > 1e-9 else "worse" if s < -1e-9 else "same" if s == s else "n/a" for s in sign]
    return out.sort_values("change", key=lambda c: (c if better else -c), na_position="last")
