"""Evaluation: open alerts, metric trends per model and index version, a run's worst answers, golden A vs B."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import eval_charts
from app.auth import require_page
from app.resources import chat_service, review_queue, workspace
from docent.access import Action
from docent.evaluate import report
from docent.evaluate.alerting import evaluator_silence
from docent.evaluate.catalog import METRICS
from docent.evaluate.results import FINISHED, EvalStore, RunRecord, RunStatus
from docent.index.base import Chunk
from docent.index.versions import VersionError
from docent.ingest.sources import display_name
from docent.review.actions import send_to_review

SUITES = {"sample": "Continuous (sampled production answers)", "golden": "Golden set"}
DEFAULT_METRICS = ("grounding", "citation_validity", "answered", "semantic_similarity", "recall@k", "faithfulness")
TREND_COLUMNS = ("run_id", "started_at", "status", "model", "index_version", "n_items")
STATUS_COLORS = {RunStatus.PASSED: "green", RunStatus.FAILED: "red", RunStatus.NOT_ENOUGH_DATA: "orange"}

require_page(Action.READ_EVALUATION)
ws = workspace()
settings = ws.settings
store = EvalStore(settings.state_url)
alerts = ws.alerts
silence = evaluator_silence(store, settings.evaluation.heartbeat_s)  # shown, not raised: rendering writes nothing


def label(run: RunRecord) -> str:
    return f"{run.started_at:%Y-%m-%d %H:%M} · {run.status.label} · {run.model} · index {run.index_version} · {run.id[:8]}"


def describe(metric: str) -> str:
    spec = METRICS.get(metric)
    if spec is None:
        return metric
    return f"{metric}: {spec.description}" + ("" if spec.higher_is_better else " (lower is better)")


def alert_frame(items) -> pd.DataFrame:
    return pd.DataFrame([{"severity": a.severity, "kind": a.kind, "message": a.message, "occurrences": a.occurrences,
                          "first seen": a.created_at, "last seen": a.last_seen_at, "resolved": a.resolved_at}
                         for a in items])


# 1. Header: the suite and its latest run.
st.title("Evaluation")
suite = st.radio("Suite", list(SUITES), format_func=SUITES.get, horizontal=True, key="eval-suite")
runs = store.runs(suite)
if runs:
    last = runs[0]
    verdict = f":{STATUS_COLORS.get(last.status, 'gray')}[{last.status.label}]"
    st.caption(f"Latest run `{last.id[:8]}`: **{verdict}** · started {last.started_at:%Y-%m-%d %H:%M} UTC · "
               f"{last.n_items} answers · model `{last.model}` · index `{last.index_version}` · "
               f"judge `{last.judge_model or 'none'}`" + (f" · golden set `{last.golden_set}`" if suite == "golden" else ""))

# 2. Alerts.
st.subheader("Alerts")
if silence:
    st.error(f"The evaluator is silent: {silence}", icon=":material/heart_broken:")
open_alerts = alerts.recent(status="open")
if open_alerts:
    st.dataframe(alert_frame(open_alerts).drop(columns="resolved"), hide_index=True, width="stretch")
else:
    st.success("No open alerts.")
with st.expander("Recently resolved"):
    resolved = alerts.recent(limit=20, status="resolved")
    if resolved:
        st.dataframe(alert_frame(resolved), hide_index=True, width="stretch")
    else:
        st.caption("Nothing resolved yet.")

if not runs:
    st.info(f"No {SUITES[suite].lower()} evaluation run yet. Start one with `docent eval run --suite {suite}`, or run "
            "the Prefect deployments (`make up` starts the server and a worker; the continuous evaluation then runs on "
            "its schedule).")
    st.stop()

# 3. Trends over time, per model and index version, against the thresholds.
st.subheader("Trends")
trend = store.trend(suite)
bounds = settings.evaluation.thresholds if suite == "sample" else settings.evaluation.gate
available = [c for c in trend.columns if c not in TREND_COLUMNS]
if trend.empty:
    st.caption("No finished run yet: trends appear once a run has finished.")
else:
    shown = st.multiselect("Metrics", available, default=[m for m in DEFAULT_METRICS if m in available],
                           key=f"trend-metrics-{suite}")
    grid = st.columns(2)
    for i, metric in enumerate(shown):
        points = trend[list(TREND_COLUMNS)].assign(value=pd.to_numeric(trend[metric], errors="coerce")).dropna(subset=["value"])
        with grid[i % 2]:
            if points.empty:
                st.caption(f"**{metric}**: no finished run determined it yet.")
            else:
                st.altair_chart(eval_charts.trend(points, metric, bounds.get(metric), describe(metric)), width="stretch")


def answer_detail(row: pd.Series, metrics: list[str]) -> None:
    """One scored answer: what was asked, said and expected, its scores, its chunks, and the review queue."""
    details = row["details"] or {}
    st.markdown(f"**Question.** {row['question']}")
    st.markdown("**Answer**")
    st.markdown(row["answer"] or "_(empty)_")
    st.markdown("**Reference**")
    st.markdown(row["reference"] or "_(no reference answer)_")
    st.caption(f"model `{row['model']}` · index `{row['index_version']}` · stratum `{row['stratum']}`"
               + (f" · picked because {', '.join(row['reasons'])}" if row["reasons"] else ""))
    st.dataframe(pd.DataFrame([{"metric": m, "value": row[m]} for m in metrics]), hide_index=True)
    retrieved, reference = details.get("retrieved_ids") or [], details.get("reference_ids") or []
    if retrieved or reference:
        chunks = chunks_of(row["index_version"], retrieved + reference)
        st.markdown("**Retrieved chunks**" if retrieved else "**Retrieved chunks**: none")
        for rank, chunk_id in enumerate(retrieved, 1):
            chunk_view(f"{rank}.", chunk_id, chunks.get(chunk_id), ":green[reference chunk]" if chunk_id in reference else "")
        missed = [c for c in reference if c not in retrieved]
        if missed:
            st.markdown("**Reference chunks not retrieved**")
            for chunk_id in missed:
                chunk_view("–", chunk_id, chunks.get(chunk_id), ":red[missed]")
    if details.get("error"):
        st.error(f"The answer failed: {details['error']}")
    if details.get("judge_errors"):
        with st.expander("Judge errors"):
            st.json(details["judge_errors"])
    message_id = row.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        return  # a golden answer: nothing in production to review
    item = review_queue().for_message(message_id)
    if item is not None:
        st.info(f"Already in the review queue (#{item.id}, {item.status}).")
    elif st.button("Send to review", icon=":material/fact_check:", key=f"send-{message_id}"):
        send_to_review(chat_service().store, review_queue(), message_id, reason="evaluation")
        st.rerun()


def chunks_of(index_version: str, ids: list[str]) -> dict[str, Chunk]:
    """The stored chunk ids of an answer as chunks of the index version it ran on (one query); none when that version
    is gone."""
    try:
        version = ws.versions.get(index_version)
    except VersionError:
        st.caption(f"Index version `{index_version}` no longer exists: its chunks are shown by id.")
        return {}
    return report.chunks_by_id(ws.reader(version).index, ids)


def chunk_view(prefix: str, chunk_id: str, chunk: Chunk | None, mark: str) -> None:
    """One chunk: its document and page, and its whole text on demand."""
    if chunk is None:
        st.markdown(f"{prefix} `{chunk_id}` (no longer in the index) {mark}")
        return
    document = chunk.title or display_name(chunk.source_uri)
    where = (document + (f", page {chunk.page}" if chunk.page is not None else "")
             + (f" · {chunk.section}" if chunk.section and chunk.section != document else ""))
    with st.expander(f"{prefix} {where} {mark}".strip()):
        st.markdown(chunk.text)
        st.caption(f"{display_name(chunk.source_uri)} · chunk `{chunk_id}`")  # a name, not a path on the server


def run_section(run: RunRecord) -> None:
    """4 and 5. One run: its metric table, a distribution, its worst answers."""
    if run.error:
        st.error(f"This run failed: {run.error}")
    if run.status == RunStatus.NOT_ENOUGH_DATA:
        lacking = [m["message"] for m in run.config.get("not_enough_data") or []] or ["no threshold metric could be judged"]
        st.warning("**Not enough data**: this run neither passed nor failed, and raised no alert. "
                   + "; ".join(lacking) + ".", icon=":material/help:")
    table = pd.DataFrame(report.metric_table(run))
    if table.empty:
        st.caption("No scores in this run (yet).")
        return
    table["description"] = [METRICS[m].description if m in METRICS else "" for m in table["metric"]]
    st.dataframe(table, hide_index=True, width="stretch")
    scores = store.scores([run.id])
    metrics = [m for m in table["metric"] if m in scores.columns]
    if metrics:
        metric = st.selectbox("Distribution of", metrics, key=f"hist-{suite}")
        values = pd.to_numeric(scores[metric], errors="coerce").dropna()
        if values.empty:
            st.caption(f"No answer of this run has a {metric} score.")
        else:
            st.altair_chart(eval_charts.distribution(values, metric, bounds.get(metric)), width="stretch")
    st.markdown("**Worst answers**")
    worst = report.worst_cases(store, run, n=20)
    st.dataframe(pd.DataFrame(worst), hide_index=True, width="stretch", row_height=96,  # tall rows wrap whole answers
                 column_config={"question": st.column_config.TextColumn(width="medium"),
                                "answer": st.column_config.TextColumn(width="large")})
    questions = {w["item_key"]: w["question"] for w in worst}
    picked = st.selectbox("Open answer", list(questions), index=None, placeholder="Pick an answer to inspect",
                          format_func=lambda k: questions[k][:100], key=f"answer-{run.id}")
    if picked is not None:
        answer_detail(scores[scores["item_key"] == picked].iloc[0], metrics)


def comparison(finished: list[RunRecord]) -> None:
    """6. Two golden runs of one set, question by question."""
    if len(finished) < 2:
        st.caption("Two finished golden runs are needed for a comparison.")
        return
    by_id = {r.id: r for r in finished}
    c1, c2, c3 = st.columns(3)
    a = by_id[c1.selectbox("Run A (before)", list(by_id), index=1, format_func=lambda i: label(by_id[i]), key="cmp-a")]
    same_set = [r.id for r in finished if r.golden_set == a.golden_set and r.id != a.id]
    if not same_set:
        st.caption(f"No other finished run of the golden set `{a.golden_set}`.")
        return
    b = by_id[c2.selectbox("Run B (after)", same_set, format_func=lambda i: label(by_id[i]), key="cmp-b")]
    # Only metrics both runs determined: report.compare fails when neither has a value.
    common = [m for m in dict.fromkeys(report.SEVERITY + tuple(METRICS)) if a.mean(m) is not None and b.mean(m) is not None]
    metric = c3.selectbox("Metric", common, key="cmp-metric")
    if metric is None:
        st.caption("These runs share no scored metric.")
        return
    diff = report.compare(store, a, b, metric)
    counts = diff["verdict"].value_counts()
    st.markdown(f"**{counts.get('better', 0)} better · {counts.get('worse', 0)} worse · {counts.get('same', 0)} same**"
                + (f" · {counts['n/a']} not comparable" if counts.get("n/a") else ""))
    if a.golden_version != b.golden_version:
        st.caption(f"The golden set changed between these runs ({a.golden_version} → {b.golden_version}).")
    bars = eval_charts.changes(diff, metric)
    if bars is None:
        st.info(f"No question's {metric} moved between these runs: the table lists each one.")
    else:
        st.altair_chart(bars, width="stretch")
    st.dataframe(diff, hide_index=True, width="stretch", column_config={"question": st.column_config.TextColumn(width="large")})


st.subheader("Run")
runs_by_id = {r.id: r for r in runs}
run_section(runs_by_id[st.selectbox("Run", list(runs_by_id), format_func=lambda i: label(runs_by_id[i]), key=f"run-{suite}")])
if suite == "golden":
    st.subheader("Compare two golden runs")
    comparison([r for r in runs if r.status in FINISHED])
