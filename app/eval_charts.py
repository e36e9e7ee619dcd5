"""The Evaluation page's charts, readable from the first run: a UTC time axis with dates, each value written on
its point, shares on a 0-1 axis, whole counts, and the A/B changes with every question's label in full."""

from __future__ import annotations

import altair as alt
import pandas as pd

VERDICT_COLORS = alt.Scale(domain=["better", "worse", "same"], range=["#2e7d32", "#c62828", "#9e9e9e"])
TIME_FORMAT = "%d %b %H:%M"


def time_scale(times: pd.Series) -> alt.Scale:
    """From the first run to the last, at least a day wide: a single run sits mid-axis between dated ticks
    instead of on a collapsed scale."""
    lo, hi = pd.to_datetime(times.min(), utc=True), pd.to_datetime(times.max(), utc=True)
    pad = max((hi - lo) * 0.05, pd.Timedelta(hours=12))
    return alt.Scale(type="utc", domain=[utc_datetime(lo - pad), utc_datetime(hi + pad)])


def utc_datetime(t: pd.Timestamp) -> alt.DateTime:
    """A Vega-Lite date-time (the app's charts ignore a temporal domain given as epoch numbers)."""
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute, utc=True)


def is_share(values: pd.Series, bound: float | None = None) -> bool:
    """Whether the values (and the threshold) all lie in [0, 1]: such a metric is drawn on a 0-1 axis."""
    shown = pd.concat([values, pd.Series([] if bound is None else [bound], dtype=float)])
    return bool(shown.between(0, 1).all())


def value_scale(share: bool) -> alt.Scale:
    return alt.Scale(domain=[0, 1]) if share else alt.Scale(zero=True, nice=True)


def trend(points: pd.DataFrame, metric: str, bound: float | None, title: str) -> alt.LayerChart:
    """One metric's run means over time, per model (colour) and index version (dash), with its threshold."""
    share = is_share(points["value"], bound)
    base = alt.Chart(points).encode(
        x=alt.X("started_at:T", title="run started (UTC)", scale=time_scale(points["started_at"]),
                axis=alt.Axis(format=TIME_FORMAT, labelAngle=0, tickCount=4)),
        y=alt.Y("value:Q", title=metric, scale=value_scale(share), axis=alt.Axis(format=".1f" if share else "~s")),
        color=alt.Color("model:N"),
        tooltip=["run_id", alt.Tooltip("started_at:T", format=TIME_FORMAT), "status", "model", "index_version", "n_items",
                 alt.Tooltip("value:Q", format=".3f")],
    )
    dash = alt.StrokeDash("index_version:N", title="index")
    layers = [base.mark_line(point=alt.OverlayMarkDef(size=70)).encode(strokeDash=dash),
              base.mark_text(dy=-12, fontSize=11).encode(text=alt.Text("value:Q", format=".3~f" if share else "~s"))]
    if bound is not None:
        layers.append(alt.Chart(pd.DataFrame({"threshold": [bound]})).mark_rule(color="red", strokeDash=[4, 4]).encode(
            y="threshold:Q", tooltip=["threshold:Q"]))
    return alt.layer(*layers).properties(title=title, height=220)


def distribution(values: pd.Series, metric: str, bound: float | None) -> alt.LayerChart:
    """How one run's answers spread over a metric: bins of 0.05 over 0-1 for shares, whole answer counts."""
    share = is_share(values, bound)
    binning = alt.Bin(extent=[0, 1], step=0.05) if share else alt.Bin(maxbins=20)
    layers = [alt.Chart(pd.DataFrame({"value": values})).mark_bar().encode(
        x=alt.X("value:Q", bin=binning, title=metric, scale=value_scale(share), axis=alt.Axis(format=".2f" if share else "~s")),
        y=alt.Y("count():Q", title="answers", axis=alt.Axis(format="d", tickMinStep=1)))]
    if bound is not None:
        layers.append(alt.Chart(pd.DataFrame({"threshold": [bound]})).mark_rule(color="red").encode(x="threshold:Q"))
    return alt.layer(*layers).properties(height=200, title=f"{metric} over {len(values)} scored answers")


def changes(diff: pd.DataFrame, metric: str) -> alt.Chart | None:
    """The questions whose ``metric`` moved from run A to run B, each labelled in full; None when none moved."""
    moved = diff[diff["verdict"].isin(["better", "worse"])]
    if moved.empty:
        return None
    reach = float(moved["change"].abs().max())
    return alt.Chart(moved).mark_bar().encode(
        x=alt.X("change:Q", title=f"change in {metric} (B − A)", scale=alt.Scale(domain=[-reach, reach], nice=True),
                axis=alt.Axis(format="+.2f")),
        y=alt.Y("question:N", sort=None, title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False)),
        color=alt.Color("verdict:N", scale=VERDICT_COLORS),
        tooltip=["question", alt.Tooltip("A:Q", format=".3f"), alt.Tooltip("B:Q", format=".3f"),
                 alt.Tooltip("change:Q", format="+.3f"), "verdict"],
    ).properties(height=alt.Step(28))
