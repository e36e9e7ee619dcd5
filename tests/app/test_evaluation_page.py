"""The Evaluation page through AppTest, over runs, scores and alerts stored with the evaluation core."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

PAGE = "pages/evaluation.py"
GOLDEN_SET = "page-test-golden"
# Per question: semantic_similarity and recall@k in run A, then in run B.
SIMILARITY = {"A": [0.5, 0.5, 0.5, 0.9], "B": [0.8, 0.6, 0.5, 0.4]}  # 2 better, 1 worse, 1 same
RECALL = {"A": [1.0, 0.0, 1.0, 1.0], "B": [1.0, 1.0, 0.0, 1.0]}  # 1 better, 1 worse, 2 same


def golden_run(url: str, name: str, index_version: str, golden_set: str = GOLDEN_SET) -> str:
    from docent.evaluate.cases import EvalCase
    from docent.evaluate.results import EvalStore, summarize

    store = EvalStore(url)
    cases = [EvalCase(key=f"q{i}", question=f"Golden question {i}?", answer=f"Answer {i} [1].", sources=[], model="test-model",
                      index_version=index_version, reference=f"Reference {i}.", reference_ids=["c1"]) for i in range(4)]
    scores = [{"semantic_similarity": s, "recall@k": r} for s, r in zip(SIMILARITY[name], RECALL[name])]
    details = [{"retrieved_ids": ["c1", "c9"] if r else ["c8", "c9"], "reference_ids": ["c1"]} for r in RECALL[name]]
    config = {"gate": {"recall@k": 0.6}}
    run_id = store.start("golden", model="test-model", index_version=index_version, config=config,
                         golden_set=golden_set, golden_version="g1")
    store.finish(run_id, cases, scores, details, summary=summarize(scores), status="passed", findings=[], config=config)
    return run_id


@pytest.fixture(scope="module")
def seeded(app_env):
    """Two golden runs (A then B, other per-question scores), and a sample run over two real answers whose
    grounding breached its threshold: a finding, raised as an alert, and the run finished two hours ago."""
    import sqlalchemy as sa

    from docent.alerts import Alerts
    from docent.evaluate.alerting import alert_run
    from docent.evaluate.cases import EvalCase
    from docent.evaluate.checks import check
    from docent.evaluate.results import EvalStore, summarize
    from docent.store.chat import ChatStore
    from docent.store.db import engine_for
    from docent.store.evaluation import EvalRun

    url = app_env["state_url"]
    a, b = golden_run(url, "A", "v-a"), golden_run(url, "B", "v-b")

    chat = ChatStore(url)
    messages = []
    for question, text in (("What is the hotel cap?", "It is 400 euros [1]."), ("How long is parental leave?", "8 weeks [1].")):
        _, mid = chat.record_question(conversation_id=None, question=question, model="test-model", filters=None, user_id="asker-id")
        chat.transition(mid, "streaming")
        chat.finalize(mid, state="completed", content=text, citations=[])
        messages.append((mid, question, text))
    cases = [EvalCase(key=mid, question=q, answer=t, sources=[], model="test-model", index_version="v-b", message_id=mid,
                      stratum="fresh|auto", reasons=["random"]) for mid, q, t in messages]
    scores = [{"grounding": 0.2, "citation_validity": 1.0, "answered": 1.0},
              {"grounding": 0.9, "citation_validity": 0.5, "answered": 1.0}]
    summary = summarize(scores)
    thresholds = {"grounding": 0.9, "citation_validity": 0.5}
    verdict = check("sample", summary, thresholds, [], max_regression=0.1, min_samples=1)
    store = EvalStore(url)
    sample = store.start("sample", model="test-model", index_version="v-b", config={"thresholds": thresholds})
    run = store.finish(sample, cases, scores, [{"retrieved_ids": [], "reference_ids": []}] * 2, summary=summary,
                       status="failed", findings=verdict.findings,
                       config={"thresholds": thresholds, "checks_passed": sorted(verdict.healthy)})
    (alert,) = alert_run(Alerts(url), run)
    past = datetime.now(timezone.utc) - timedelta(hours=2)  # the evaluator has been silent since
    with engine_for(url).begin() as conn:
        conn.execute(sa.update(EvalRun).where(EvalRun.id == sample).values(started_at=past, finished_at=past))
    return {"url": url, "a": a, "b": b, "sample": sample, "worst": messages[0][0], "best": messages[1][0], "alert": alert}


def charts(at) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every Altair chart: its Vega-Lite spec, and its datasets by name."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return [(json.loads(c.proto.spec), {d.name: convert_arrow_bytes_to_pandas_df(d.data.data) for d in c.proto.datasets})
            for c in at.get("vega_lite_chart")]


def frames(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def frame_with(at, column: str) -> pd.DataFrame:
    assert not at.exception, at.exception
    return next(f for f in frames(at) if column in f.columns)


def text(at) -> str:
    assert not at.exception, at.exception
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info])


def evaluation(app, user: str = "ann"):
    at = app(user).switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_with_no_run_the_page_says_how_to_start_one(app, app_env):
    from docent.evaluate.results import EvalStore

    if EvalStore(app_env["state_url"]).runs():
        pytest.skip("runs were stored before this test (it must run before the seeded ones)")
    at = evaluation(app)
    assert "docent eval run --suite sample" in at.info[0].value and "make up" in at.info[0].value
    at.radio(key="eval-suite").set_value("golden").run()
    assert "docent eval run --suite golden" in at.info[0].value


def test_only_analysts_and_admins_get_the_page(app, seeded):
    assert evaluation(app, "ada").title[0].value == "Evaluation"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app("rita").switch_page(PAGE)


def test_open_alerts_show_the_finding_and_a_silent_evaluator_without_raising_anything(app, seeded, app_env):
    from docent.alerts import Alerts

    before = Alerts(app_env["state_url"]).recent(limit=100)
    at = evaluation(app)
    alerts = frame_with(at, "occurrences")
    assert seeded["alert"].message in list(alerts["message"])
    assert "grounding is 0.550, below the threshold 0.9" in seeded["alert"].message
    assert any("The evaluator is silent: no continuous evaluation run has finished since" in e.value for e in at.error)
    assert Alerts(app_env["state_url"]).recent(limit=100) == before  # rendering the page wrote nothing


def test_the_latest_sample_run_its_metric_table_and_trends(app, seeded):
    at = evaluation(app)
    assert f"Latest run `{seeded['sample'][:8]}`: **:red[failed]**" in text(at)
    table = frame_with(at, "threshold").set_index("metric")
    assert set(table.index) == {"grounding", "citation_validity", "answered"}
    assert table.loc["grounding", "status"] == "threshold" and table.loc["grounding", "value"] == pytest.approx(0.55)
    assert table.loc["citation_validity", "status"] == "ok" and table.loc["citation_validity", "threshold"] == 0.5
    assert at.multiselect(key="trend-metrics-sample").value == ["grounding", "citation_validity", "answered"]
    shown = charts(at)
    titles = [spec["title"].split(":")[0] for spec, _ in shown]  # two columns of trends, then the distribution
    assert sorted(titles[:3]) == ["answered", "citation_validity", "grounding"]
    assert titles[3] == "grounding over 2 scored answers"
    spec, data = shown[titles.index("grounding")]
    line, labels, rule = spec["layer"]
    assert {"field": "run_id", "type": "nominal"} in line["encoding"]["tooltip"]
    assert line["encoding"]["strokeDash"]["field"] == "index_version"
    assert list(data[line["data"]["name"]]["run_id"]) == [seeded["sample"]]
    assert rule["mark"]["type"] == "rule" and list(data[rule["data"]["name"]]["threshold"]) == [0.5]  # the setting


def test_a_sampled_production_answer_goes_to_the_review_queue(app, seeded):
    from docent.review.queue import ReviewQueue

    at = evaluation(app)
    worst = frame_with(at, "item_key")
    assert list(worst["item_key"]) == [seeded["worst"], seeded["best"]]  # worst grounding first
    at.selectbox(key=f"answer-{seeded['sample']}").select(seeded["worst"]).run()
    assert "**Question.** What is the hotel cap?" in text(at)
    assert not at.info  # not queued yet
    at.button(key=f"send-{seeded['worst']}").click().run()
    assert not at.exception, at.exception
    item = ReviewQueue(seeded["url"]).for_message(seeded["worst"])
    assert item is not None and item.status == "pending" and item.question == "What is the hotel cap?"
    assert at.info[0].value == f"Already in the review queue (#{item.id}, pending)."
    assert not any(b.label == "Send to review" for b in at.button)


def test_golden_answers_show_their_reference_and_chunks_without_a_review_button(app, seeded):
    at = evaluation(app)
    at.radio(key="eval-suite").set_value("golden").run()
    assert f"Latest run `{seeded['b'][:8]}`" in text(at)
    table = frame_with(at, "threshold").set_index("metric")  # the latest run, B, until another is picked
    assert table.loc["semantic_similarity", "value"] == pytest.approx(0.575) and table.loc["recall@k", "threshold"] == 0.6
    at.selectbox(key="run-golden").select(seeded["a"]).run()
    assert frame_with(at, "threshold").set_index("metric").loc["semantic_similarity", "value"] == pytest.approx(0.6)
    at.selectbox(key=f"answer-{seeded['a']}").select("q1").run()  # recall 0: among the worst
    assert "Reference 1." in text(at)
    assert "Index version `v-a` no longer exists: its chunks are shown by id." in text(at)  # dropped since: ids only
    assert "1. `c8` (no longer in the index)" in text(at) and "– `c1` (no longer in the index) :red[missed]" in text(at)
    assert not any(b.label == "Send to review" for b in at.button)


def test_comparing_two_golden_runs_counts_better_worse_and_same(app, seeded):
    at = evaluation(app)
    at.radio(key="eval-suite").set_value("golden").run()
    assert at.selectbox(key="cmp-a").value == seeded["a"] and at.selectbox(key="cmp-b").value == seeded["b"]
    at.selectbox(key="cmp-metric").select("semantic_similarity").run()
    assert "**2 better · 1 worse · 1 same**" in text(at)
    diff = frame_with(at, "verdict").set_index("question")
    assert diff.loc["Golden question 3?", "verdict"] == "worse"
    assert diff.loc["Golden question 3?", "change"] == pytest.approx(-0.5)
    at.selectbox(key="cmp-metric").select("recall@k").run()
    assert "**1 better · 1 worse · 2 same**" in text(at)
    at.selectbox(key="cmp-a").select(seeded["b"]).run()  # B as the baseline: every move reverses
    at.selectbox(key="cmp-b").select(seeded["a"]).run()
    assert "**1 better · 1 worse · 2 same**" in text(at)
    at.selectbox(key="cmp-metric").select("semantic_similarity").run()
    assert "**1 better · 2 worse · 1 same**" in text(at)


# The tests below add runs of their own: they come last, after the tests that read the seeded runs as the newest.


def test_with_one_run_every_chart_has_dates_a_0_to_1_axis_and_its_values(app, seeded):
    at = evaluation(app)  # one sample run: each trend is one point
    shown = charts(at)
    spec, data = next((s, d) for s, d in shown if s["title"].startswith("grounding:"))
    line, labels, rule = spec["layer"]
    x = line["encoding"]["x"]
    assert x["type"] == "temporal" and x["scale"]["type"] == "utc" and x["axis"]["format"] == "%d %b %H:%M"
    started = pd.Timestamp(data[line["data"]["name"]]["started_at"].iloc[0])
    lo, hi = (pd.Timestamp(year=d["year"], month=d["month"], day=d["date"], hour=d["hours"], minute=d["minutes"], tz="UTC")
              for d in x["scale"]["domain"])
    assert lo < started < hi and hi - lo >= pd.Timedelta(hours=24)  # the run mid-axis on a day-wide scale, not collapsed
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 1] and line["encoding"]["y"]["axis"]["format"] == ".1f"
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"] == {"field": "value", "format": ".3~f",
                                                                                "type": "quantitative"}
    hist = next(s for s, _ in shown if s["title"].startswith("grounding over"))
    bars, _ = hist["layer"]
    assert bars["encoding"]["x"]["bin"] == {"extent": [0, 1], "step": 0.05} and bars["encoding"]["y"]["axis"]["format"] == "d"


def test_a_comparison_with_no_change_says_so_and_one_with_changes_labels_every_question(app, seeded):
    c, d = (golden_run(seeded["url"], "A", v, golden_set="steady") for v in ("v-c", "v-d"))  # the same scores twice
    at = evaluation(app)
    at.radio(key="eval-suite").set_value("golden").run()
    at.selectbox(key="cmp-a").select(c).run()
    at.selectbox(key="cmp-b").select(d).run()
    at.selectbox(key="cmp-metric").select("semantic_similarity").run()
    assert "**0 better · 0 worse · 4 same**" in text(at)
    assert "No question's semantic_similarity moved between these runs: the table lists each one." in text(at)
    assert not [s for s, _ in charts(at) if s.get("encoding", {}).get("x", {}).get("field") == "change"]  # no empty chart
    at.selectbox(key="cmp-a").select(seeded["a"]).run()
    at.selectbox(key="cmp-b").select(seeded["b"]).run()
    spec, data = next((s, d) for s, d in charts(at) if s.get("encoding", {}).get("x", {}).get("field") == "change")
    assert spec["encoding"]["y"]["axis"] == {"labelLimit": 0, "labelOverlap": False}  # every label, in full
    assert spec["encoding"]["x"]["axis"]["format"] == "+.2f"
    assert sorted(data[spec["data"]["name"]]["question"]) == ["Golden question 0?", "Golden question 1?", "Golden question 3?"]


def test_a_run_short_of_data_shows_not_enough_data_not_passed(app, seeded):
    from docent.evaluate.cases import EvalCase
    from docent.evaluate.checks import check
    from docent.evaluate.results import EvalStore, summarize

    scores = [{"grounding": 0.9, "answered": 1.0}] + [{"grounding": None, "answered": 1.0}] * 9
    cases = [EvalCase(key=f"short-{i}", question=f"Short question {i}?", answer="a", sources=[], model="test-model",
                      index_version="v-b") for i in range(10)]
    thresholds = {"grounding": 0.5}
    verdict = check("sample", summarize(scores), thresholds, [], 0.1, 1, 0.5)
    config = {"thresholds": thresholds, "checks_passed": sorted(verdict.healthy), "not_enough_data": verdict.lacking}
    store = EvalStore(seeded["url"])
    run_id = store.start("sample", model="test-model", index_version="v-b", config=config)
    store.finish(run_id, cases, scores, [{}] * 10, summary=summarize(scores), status=verdict.status, findings=[], config=config)
    at = evaluation(app)
    assert f"Latest run `{run_id[:8]}`: **:orange[not enough data]**" in text(at)
    assert "grounding was determined for 1 of 10 answers: not enough to judge" in at.warning[0].value
    assert frame_with(at, "threshold").set_index("metric").loc["grounding", "status"] == "not enough data"


def test_an_answers_chunks_show_their_document_page_and_text(app, seeded, app_env):
    from pathlib import Path

    from docent.settings import load_settings
    from docent.workspace import Workspace

    ws = Workspace(load_settings(data_dir=Path(app_env["DOCENT_DATA_DIR"]), embedding={"backend": "torch"}))
    chunks = [c for c in ws.index.fetch({"position": 0}, limit=50) if c.page is not None][:2]
    version = ws.version
    ws.close()
    assert len(chunks) == 2, "the sample corpus has paged documents"
    retrieved, reference = [chunks[0].chunk_id, "gone-chunk"], [chunks[0].chunk_id, chunks[1].chunk_id]
    from docent.evaluate.cases import EvalCase
    from docent.evaluate.results import EvalStore, summarize

    store = EvalStore(seeded["url"])
    case = EvalCase(key="chunked", question="Which chunks?", answer="These [1].", sources=[], model="test-model",
                    index_version=version, reference="Those.", reference_ids=reference)
    scores = [{"recall@k": 0.5}]
    run_id = store.start("golden", model="test-model", index_version=version, config={}, golden_set="chunks", golden_version="g1")
    store.finish(run_id, [case], scores, [{"retrieved_ids": retrieved, "reference_ids": reference}], summary=summarize(scores),
                 status="passed", findings=[], config={})
    at = evaluation(app)
    at.radio(key="eval-suite").set_value("golden").run()
    at.selectbox(key="run-golden").select(run_id).run()
    at.selectbox(key=f"answer-{run_id}").select("chunked").run()
    labels = [e.label for e in at.expander]
    from docent.ingest.sources import display_name

    first, second = (f"{c.title or display_name(c.source_uri)}, page {c.page}" for c in chunks)  # its title, else its file
    assert any(label.startswith(f"1. {first}") and label.endswith(":green[reference chunk]") for label in labels), labels
    assert any(label.startswith(f"– {second}") and label.endswith(":red[missed]") for label in labels), labels
    assert "2. `gone-chunk` (no longer in the index)" in text(at)
    assert chunks[0].text in text(at) and chunks[1].text in text(at)  # the whole text, not an id
    captions = [c.value for c in at.caption]
    assert f"{display_name(chunks[0].source_uri)} · chunk `{chunks[0].chunk_id}`" in captions, captions
    assert not [c for c in captions if chunks[0].source_uri in c]  # the document's name, never its path on the server
