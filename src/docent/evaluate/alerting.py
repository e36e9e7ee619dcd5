"""From a finished run to alerts: each finding opens (or counts toward) an incident, each check that
passed resolves its incident, and a silent evaluator raises a heartbeat alert."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from docent.alerts import Alert, Alerts
from docent.evaluate.production import oldest_answer
from docent.evaluate.results import EvalStore, RunRecord

HEARTBEAT_KEY = "eval:heartbeat"


def alert_run(alerts: Alerts, run: RunRecord) -> list[Alert]:
    """The incidents this run opened (already-open ones only count another occurrence and are not returned).

    Each check the run judged fine resolves its incident, whatever the run's status: a not-enough-data run resolves
    only the alerts of metrics it could judge, and leaves those of the metrics it could not open."""
    opened = []
    source = f"{run.suite} evaluation"
    for f in run.findings or []:
        details = {k: v for k, v in f.items() if k not in ("key", "message")} | {"run_id": run.id, "model": run.model,
                                                                                  "index_version": run.index_version}
        severity = "error" if f["kind"] == "threshold" else "warning"
        alert, new = alerts.raise_alert(f"eval-{f['kind']}", source, f["message"], severity, key=f["key"], details=details)
        if new:
            opened.append(alert)
    for key in run.config.get("checks_passed", []):
        alerts.resolve(key)
    return opened


def evaluator_silence(evals: EvalStore, max_silence_s: float, now: datetime | None = None,
                      answers_since: datetime | None = None) -> str | None:
    """What is wrong when the continuous evaluation has not finished a run for ``max_silence_s`` (or never has,
    while answers older than that exist: ``answers_since``, read from the store when not given); None when all is
    well. Reads only: pages show it, :func:`check_heartbeat` raises it."""
    now = now or datetime.now(timezone.utc)
    last = next(iter(evals.runs("sample", 1, finished_only=True)), None)
    limit = now - timedelta(seconds=max_silence_s)
    if last is not None and (last.finished_at or last.started_at) >= limit:
        return None
    if last is None:
        answers_since = answers_since or oldest_answer(evals.url)
        if answers_since is None or answers_since >= limit:
            return None  # a new installation: nothing to evaluate yet
    when = f"since {last.finished_at:%Y-%m-%d %H:%M} UTC" if last else "ever, though answers have been served"
    return (f"no continuous evaluation run has finished {when} (expected every {max_silence_s / 60:.0f} minutes at "
            "most): is the Prefect worker running?")


def check_heartbeat(alerts: Alerts, evals: EvalStore, max_silence_s: float, now: datetime | None = None,
                    answers_since: datetime | None = None) -> Alert | None:
    """Raise :func:`evaluator_silence` as an alert, or resolve it once runs resume."""
    now = now or datetime.now(timezone.utc)
    silence = evaluator_silence(evals, max_silence_s, now, answers_since)
    if silence is None:
        alerts.resolve(HEARTBEAT_KEY, now)
        return None
    alert, _ = alerts.raise_alert("eval-heartbeat", "continuous evaluation", silence, severity="error",
                                  key=HEARTBEAT_KEY, now=now)
    return alert
