"""Is a run worse than it should be? Thresholds, and regressions against a rolling baseline.

A finding is what an alert says. Continuous runs only judge a metric measured on ``min_samples``
answers or more (and a baseline holding as many): a quiet hour must not page anyone. Golden runs
always judge: they answer the same questions every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.evaluate.catalog import METRICS, breached
from docent.evaluate.results import RunRecord


@dataclass
class Verdict:
    findings: list[dict] = field(default_factory=list)
    healthy: set[str] = field(default_factory=set)  # alert keys checked and fine this time (their incidents resolve)

    @property
    def failed(self) -> bool:
        return bool(self.findings)


def key(suite: str, kind: str, metric: str) -> str:
    return f"eval:{suite}:{kind}:{metric}"


def check(
    suite: str,
    summary: dict[str, dict],
    thresholds: dict[str, float],
    baseline: list[RunRecord],
    max_regression: float,
    min_samples: int = 1,
) -> Verdict:
    verdict = Verdict()
    for metric, bound in thresholds.items():
        stats = summary.get(metric) or {}
        if stats.get("mean") is None or stats["n"] < min_samples:
            continue
        k = key(suite, "threshold", metric)
        if breached(metric, stats["mean"], bound):
            word = "below" if METRICS.get(metric) is None or METRICS[metric].higher_is_better else "above"
            verdict.findings.append({"key": k, "kind": "threshold", "metric": metric, "value": round(stats["mean"], 4),
                                     "bound": bound, "n": stats["n"],
                                     "message": f"{metric} is {stats['mean']:.3f}, {word} the threshold {bound} (n={stats['n']})"})
        else:
            verdict.healthy.add(k)
    for metric, stats in summary.items():
        spec = METRICS.get(metric)
        if spec is None or spec.needs == "window" or stats.get("mean") is None or stats["n"] < min_samples:
            continue
        prior = [(r.mean(metric), r.summary[metric]["n"]) for r in baseline if r.mean(metric) is not None]
        weight = sum(n for _, n in prior)
        if not prior or weight < min_samples:
            continue
        base = sum(v * n for v, n in prior) / weight
        drop = (base - stats["mean"]) if spec.higher_is_better else (stats["mean"] - base)
        k = key(suite, "regression", metric)
        if drop >= max_regression:
            verdict.findings.append({"key": k, "kind": "regression", "metric": metric, "value": round(stats["mean"], 4),
                                     "baseline": round(base, 4), "n": stats["n"], "baseline_runs": len(prior),
                                     "message": f"{metric} fell to {stats['mean']:.3f} from a baseline of {base:.3f} "
                                                f"over the last {len(prior)} runs (n={stats['n']})"})
        else:
            verdict.healthy.add(k)
    return verdict
