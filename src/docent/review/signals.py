"""How a reviewer reads an item's retrieval score: on a 0–1 scale, whatever the search mode.

Raw scores mean different things per mode: hybrid scores are z-score fusions (0 is an average candidate,
3.98 is far above the rest; see :mod:`docent.index.fusion`) plus the priors of :mod:`docent.priors`, dense scores are cosine similarities, BM25
scores have no upper bound. A reviewer needs one scale, and a sentence saying what it means.
"""

from __future__ import annotations

from statistics import NormalDist

_NORMAL = NormalDist()

EXPLAINED = {
    "hybrid": "Relevance 0–1 of the best retrieved passage: how far its score stands above an average candidate "
              "the search weighed, read on a normal curve. The score fuses keyword and meaning matches, plus a bonus "
              "when the passage's heading names the question's words or it is a table and the question asks for a "
              "figure. 0.5 is an average candidate; near 1, far above the rest.",
    "dense": "Relevance 0–1 of the best retrieved passage: the cosine similarity of its meaning to the question's.",
    "bm25": "BM25 keyword score of the best retrieved passage: higher is better, with no fixed scale.",
}


def relevance(score: float | None, mode: str) -> float | None:
    """``score`` on a 0–1 scale for ``mode`` (``hybrid``: the normal curve at the fused z-score; ``dense``: the
    cosine clipped to 0–1); None without a score or for a mode with no fixed scale (``bm25``)."""
    if score is None:
        return None
    if mode == "hybrid":
        return _NORMAL.cdf(score)
    if mode == "dense":
        return min(max(score, 0.0), 1.0)
    return None


def readable(score: float | None, mode: str) -> str:
    """The score as a person reads it: ``0.98`` (0–1), the raw figure where there is no scale, ``—`` without one."""
    if score is None:
        return "—"
    value = relevance(score, mode)
    return f"{value:.2f}" if value is not None else f"{score:.2f}"
