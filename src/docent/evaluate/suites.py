"""The two evaluation suites, end to end: pick or answer the cases, score them, store the run, judge it.

``sample``: unscored production answers of the last ``evaluation.lookback_hours``, sampled (see
:mod:`docent.evaluate.sampling`), scored, compared with thresholds and the rolling baseline.
``golden``: a golden set answered through the current model over the live (or a candidate) index
version; its thresholds are the promotion gate (``evaluation.gate``).
Both return the stored run; alerts are a separate step (:func:`docent.evaluate.alerting.alert_run`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from docent.evaluate import catalog, production, sampling
from docent.evaluate.answering import answer_golden
from docent.evaluate.cases import EvalCase
from docent.evaluate.checks import Verdict, check
from docent.evaluate.golden_set import load as load_golden
from docent.evaluate.judge import PROMPT_VERSION, Judge
from docent.evaluate.results import EvalStore, RunRecord, summarize
from docent.evaluate.scoring import NoModelScorer
from docent.index.versions import IndexVersion

log = logging.getLogger("docent.evaluate")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Scored:
    scores: list[dict]
    details: list[dict]
    judge_tokens: int = 0
    judge_cost: float = 0.0
    judge_notes: dict | None = None


def score_cases(ws, cases: list[EvalCase], k: int, progress: Progress | None = None) -> Scored:
    """No-model metrics for every case, then the judge's when a judge model is configured."""
    settings = ws.settings
    scorer = NoModelScorer(lambda texts: ws.embedder.embed(texts)[0], k, settings.chat.grounding_threshold)
    if progress:
        progress("scoring", 0, len(cases))
    scores = scorer.score(cases)
    details = [{"retrieved_ids": c.retrieved_ids[:k], "reference_ids": c.reference_ids, **({"error": c.error} if c.error else {})}
               for c in cases]
    if progress:
        progress("scoring", len(cases), len(cases))
    if not settings.evaluation.judge_model or not cases:
        return Scored(scores, details)
    judge = Judge(settings.evaluation, scorer.embeddings)
    if progress:
        progress("judging", 0, len(cases))
    for row, detail, (judged, errors) in zip(scores, details, judge.score(cases)):
        row.update(judged)
        if errors:
            detail["judge_errors"] = errors
    if progress:
        progress("judging", len(cases), len(cases))
    spend = judge.spend
    notes = {"calls": spend.calls, "unpriced_calls": spend.unpriced, "skipped_for_budget": spend.skipped, "errors": spend.errors}
    return Scored(scores, details, spend.tokens, spend.cost, notes)


def _summary(scored: Scored) -> dict:
    summary = summarize(scored.scores)
    judged = [r[m] for r in scored.scores for m in catalog.JUDGE_METRICS if m in r]
    if judged:  # the share of all judge scores, not a mean of per-answer shares
        summary["judge_undetermined"] = {"mean": sum(v is None for v in judged) / len(judged), "n": len(judged), "missing": 0}
    return summary


def _config(ws, k: int, **extra) -> dict:
    ev = ws.settings.evaluation
    names = list(catalog.METRICS)
    return {"k": k, "metric_versions": catalog.versions(names), "judge_prompt_version": PROMPT_VERSION if ev.judge_model else None,
            "judge_mode": ev.judge_mode if ev.judge_model else None, **extra}


def _finish(store: EvalStore, run_id: str, cases: list[EvalCase], scored: Scored, summary: dict, verdict: Verdict,
            config: dict) -> RunRecord:
    config = (config | {"checks_passed": sorted(verdict.healthy), "not_enough_data": verdict.lacking}
              | ({"judge": scored.judge_notes} if scored.judge_notes else {}))
    return store.finish(run_id, cases, scored.scores, scored.details, summary=summary, config=config,
                        status=verdict.status, findings=verdict.findings,
                        judge_tokens=scored.judge_tokens, judge_cost=scored.judge_cost)


def run_sample(ws, now: datetime | None = None, seed: int | None = None, flow_run_id: str | None = None,
               progress: Progress | None = None) -> RunRecord:
    settings, ev = ws.settings, ws.settings.evaluation
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(hours=ev.lookback_hours)
    store = EvalStore(settings.state_url)
    k = settings.retrieval.k
    pool = production.candidates(settings.state_url, since, now, settings.review.min_grounding)
    picked = sampling.choose(pool, ev.sample_rate, ev.max_per_run, seed)
    config = _config(ws, k, sample_rate=ev.sample_rate, window=[since.isoformat(), now.isoformat()], candidates=len(pool),
                     thresholds=ev.thresholds, min_samples=ev.min_samples, min_determined_share=ev.min_determined_share,
                     max_regression=ev.max_regression)
    live = ws.versions.live() or ws.versions.get(ws.version)
    run_id = store.start("sample", model=settings.chat.model, index_version=live.version, config=config,
                         judge_model=ev.judge_model, golden_set=settings.review.golden_set, flow_run_id=flow_run_id)
    try:
        cases = production.load_cases(settings.state_url, picked, settings.review.golden_set)
        scored = score_cases(ws, cases, k, progress)
        summary = _summary(scored)
        window = production.window_stats(settings.state_url, since, now)
        answers = window.pop("answers")
        for name, value in window.items():  # measured over every answer of the window, not the sample
            summary[name] = {"mean": value, "n": answers if value is not None else 0, "missing": 0}
        baseline = [r for r in store.runs("sample", ev.baseline_runs + 1, finished_only=True) if r.id != run_id][: ev.baseline_runs]
        verdict = check("sample", summary, ev.thresholds, baseline, ev.max_regression, ev.min_samples, ev.min_determined_share)
        return _finish(store, run_id, cases, scored, summary, verdict, config)
    except Exception as exc:
        store.fail(run_id, f"{type(exc).__name__}: {exc}")
        raise


def run_golden(ws, golden: str | None = None, version: str | None = None, flow_run_id: str | None = None,
               progress: Progress | None = None) -> RunRecord:
    settings, ev = ws.settings, ws.settings.evaluation
    spec = golden or ev.golden
    items, golden_version = load_golden(spec, settings.state_url)
    positives = [i for i in items if i.kind == "positive"]
    target: IndexVersion = ws.versions.get(version) if version else (ws.versions.live() or ws.versions.get(ws.version))
    store = EvalStore(settings.state_url)
    k = settings.retrieval.k
    config = _config(ws, k, gate=ev.gate, items=len(positives), negatives_skipped=len(items) - len(positives),
                     candidate=version is not None, min_determined_share=ev.min_determined_share)
    run_id = store.start("golden", model=settings.chat.model, index_version=target.version, config=config,
                         judge_model=ev.judge_model, golden_set=spec, golden_version=golden_version, flow_run_id=flow_run_id)
    try:
        if progress:
            progress("answering", 0, len(positives))
        done = [0]

        def answered(n: int) -> None:
            done[0] += n
            if progress:
                progress("answering", done[0], len(positives))

        cases = answer_golden(ws, positives, target, on_progress=answered)
        scored = score_cases(ws, cases, k, progress)
        summary = _summary(scored)
        same_set = [r for r in store.runs("golden", 50, finished_only=True)  # the same questions: comparable runs only
                    if r.golden_set == spec and r.golden_version == golden_version and r.id != run_id]
        verdict = check("golden", summary, ev.gate, same_set[: ev.baseline_runs], ev.max_regression,
                        min_share=ev.min_determined_share)
        return _finish(store, run_id, cases, scored, summary, verdict, config)
    except Exception as exc:
        store.fail(run_id, f"{type(exc).__name__}: {exc}")
        raise
