"""What both evaluation flows share: the workspace with parameter overrides, alerting, and the run's artifacts."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from docent.evaluate.alerting import alert_run, check_heartbeat
from docent.evaluate.report import metric_table, worst_cases
from docent.evaluate.results import EvalStore, RunRecord, RunStatus
from docent.settings import load_settings
from docent.workspace import Workspace


def workspace(**evaluation: Any) -> Workspace:
    """The installation's workspace (settings from DOCENT_* and DOCENT_CONFIG), with ``evaluation`` keys overridden."""
    settings = load_settings()
    given = {k: v for k, v in evaluation.items() if v is not None}
    if given:
        settings = settings.model_copy(update={"evaluation": settings.evaluation.model_copy(update=given)})
    return Workspace(settings)


@task(name="raise-alerts", cache_policy=NO_CACHE)  # inputs hold live connections: never cached
def raise_alerts(ws: Workspace, run: RunRecord) -> int:
    """Open incidents for the run's findings, resolve the ones that passed, and check the heartbeat."""
    opened = alert_run(ws.alerts, run)
    check_heartbeat(ws.alerts, EvalStore(ws.settings.state_url), ws.settings.evaluation.heartbeat_s)
    for alert in opened:
        get_run_logger().warning("alert: %s", alert.message)
    return len(opened)


@task(name="publish-report", cache_policy=NO_CACHE)  # inputs hold live connections: never cached
def publish(ws: Workspace, run: RunRecord) -> None:
    """A table of the run's metrics and one of its worst answers, shown on the flow run's page."""
    key = f"{run.suite}-evaluation"
    create_table_artifact(metric_table(run), key=key, description=f"{run.suite} run {run.id[:8]}: {run.status.label}, "
                          f"{run.n_items} answers, model {run.model}, index {run.index_version}")
    worst = worst_cases(EvalStore(ws.settings.state_url), run)
    if worst:
        create_table_artifact(worst, key=f"{key}-worst", description="the lowest-scoring answers of this run")
    if run.findings:
        create_markdown_artifact("\n".join(f"- **{f['kind']}** {f['message']}" for f in run.findings), key=f"{key}-findings",
                                 description="what this run found wrong")
    if run.status == RunStatus.NOT_ENOUGH_DATA:
        create_markdown_artifact(f"**{run.status.label}**: neither passed nor failed; no alert raised, and only the "
                                 "alerts of metrics it could judge resolved.\n\n"
                                 + "\n".join(f"- {m['message']}" for m in run.config["not_enough_data"]),
                                 key=f"{key}-not-enough-data",
                                 description="what this run could not judge")
