"""Is a run worse than it should be? Thresholds, and regressions against a rolling baseline.

A finding is what an alert says. A metric is judged only when it was determined for enough answers:
``min_samples`` or more (continuous runs; a baseline must hold as many), and at least ``min_share`` of
the answers it applies to (a metric undetermined for 9 answers in 10 says nothing). A run with a
threshold metric short of data, or with thresholds of which this configuration measures none (a gate
of judge metrics without a judge), has "not enough data": neither passed (nobody may read it as
healthy) nor failed (a quiet hour must not page anyone). A suite with no thresholds passes unless it
regressed: there is nothing it could lack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docent.evaluate.catalog import METRICS, breached
from docent.evaluate.results import RunRecord, RunStatus


@dataclass
class Verdict:
    findings: list[dict] = field(default_factory=list)
    healthy: set[str] = field(default_factory=set)  # alert keys checked and fine this time (their incidents resolve)
    lacking: list[dict] = field(default_factory=list)  # threshold metrics that could not be judged, with why

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    @property
    def status(self) -> RunStatus:
        if self.findings:
            return RunStatus.FAILED
        return RunStatus.NOT_ENOUGH_DATA if self.lacking else RunStatus.PASSED


def enough(stats: dict, min_samples: int, min_share: float) -> bool:
    """Whether a metric was determined for enough answers to be judged."""
    n = stats.get("n", 0)
    return stats.get("mean") is not None and n >= min_samples and n >= min_share * (n + stats.get("missing", 0))


def key(suite: str, kind: str, metric: str) -> str:
    return f"eval:{suite}:{kind}:{metric}"


def check(
    suite: str,
    summary: dict[str, dict],
    thresholds: dict[str, float],
    baseline: list[RunRecord],
    max_regression: float,
    min_samples: int = 1,
    min_share: float = 0.0,
) -> Verdict:
    verdict = Verdict()
    unmeasured = [m for m in thresholds if m not in summary]  # not measured by this configuration (a judge metric without a judge)
    if thresholds and len(unmeasured) == len(thresholds):
        verdict.lacking.append({"metric": None, "n": 0, "of": 0,
                                "message": f"none of the threshold metrics ({', '.join(unmeasured)}) was measured "
                                           "(judge metrics need evaluation.judge_model)"})
    for metric, bound in thresholds.items():
        stats = summary.get(metric)
        if stats is None:
            continue
        if not enough(stats, min_samples, min_share):
            n, of = stats.get("n", 0), stats.get("n", 0) + stats.get("missing", 0)
            verdict.lacking.append({"metric": metric, "n": n, "of": of,
                                    "message": f"{metric} was determined for {n} of {of} answers: not enough to judge"})
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
        if spec is None or spec.needs == "window" or not enough(stats, min_samples, min_share):
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
