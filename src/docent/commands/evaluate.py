"""``docent eval run|report``: run an evaluation suite now, or read a stored run (and compare two)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from docent.commands.common import console, err, workspace

eval_app = typer.Typer(help="Evaluation: golden sets and sampled production answers, scored and checked.",
                       no_args_is_help=True)
SUITES = ("golden", "sample")
NOT_ENOUGH_DATA_EXIT = 3  # distinct from a failure (1) and from bad input (2)


@eval_app.command("run")
def run(
    suite: str = typer.Option("golden", help="golden: the golden set; sample: recent production answers."),
    index_version: str = typer.Option(None, "--index-version", help="golden only: evaluate this (candidate) index version."),
    golden: str = typer.Option(None, help="golden only: a JSONL file or a reviewed set's name (default evaluation.golden)."),
    judge_model: str = typer.Option(None, "--judge-model", help="litellm model for the LLM metrics (default evaluation.judge_model)."),
    alert: bool = typer.Option(True, help="raise alerts for what the run finds (and resolve what passed)."),
) -> None:
    """Run a suite now, store it, print its metrics.

    Exit codes: 0 passed; 1 failed (a threshold, the gate or the baseline missed); 3 not enough data (a threshold
    metric determined for too few answers, or none measured: not a pass, so scripts must not read it as one);
    2 bad input.
    """
    from docent.evaluate.golden_set import GoldenSetError
    from docent.evaluate.results import RunStatus  # pandas: imported when a run is asked for, not at CLI start
    from docent.evaluate.suites import run_golden, run_sample
    from docent.index.versions import VersionError

    if suite not in SUITES:
        err.print(f"[red]unknown suite {escape(suite)!r}; choose {' or '.join(SUITES)}[/red]")
        raise typer.Exit(2)
    if suite == "sample" and (index_version or golden):
        err.print("[red]--index-version and --golden apply to the golden suite only[/red]")
        raise typer.Exit(2)
    ws = workspace()
    if judge_model:
        ws.settings.evaluation.judge_model = judge_model
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            record = run_golden(ws, golden, index_version, progress=progress) if suite == "golden" else run_sample(ws, progress=progress)
        except (GoldenSetError, VersionError) as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from None
    if alert:
        from docent.evaluate.alerting import alert_run

        for opened in alert_run(ws.alerts, record):
            err.print(f"[yellow]alert: {escape(opened.message)}[/yellow]")
    _print_run(record)
    status = RunStatus(record.status)
    if status is RunStatus.NOT_ENOUGH_DATA:
        raise typer.Exit(NOT_ENOUGH_DATA_EXIT)
    if status is not RunStatus.PASSED:
        raise typer.Exit(1)


@eval_app.command("report")
def report(
    run_id: str = typer.Argument(None, help="A run id or unique prefix (default: the latest run of --suite)."),
    suite: str = typer.Option("golden", help="Which suite's latest run, when no id is given."),
    compare: str = typer.Option(None, help="Another run (id or prefix): show which questions got better or worse."),
    metric: str = typer.Option("semantic_similarity", help="The metric the comparison uses."),
    worst: int = typer.Option(5, help="How many of the lowest-scoring answers to list."),
) -> None:
    """Print a stored run: its metrics against thresholds, its findings and its worst answers."""
    from docent.evaluate.report import compare as compare_runs
    from docent.evaluate.report import worst_cases
    from docent.evaluate.results import EvalStore

    store = EvalStore(workspace().settings.state_url)
    try:
        record = store.find(run_id) if run_id else next(iter(store.runs(suite, 1, finished_only=True)), None)
        other = store.find(compare) if compare else None
    except KeyError as exc:
        err.print(f"[red]{escape(str(exc.args[0]))}[/red]")
        raise typer.Exit(2) from None
    if record is None:
        err.print(f"[red]no finished {suite} run yet: run `docent eval run --suite {suite}`[/red]")
        raise typer.Exit(2)
    _print_run(record)
    rows = worst_cases(store, record, worst)
    if rows:
        table = Table(title="worst answers")
        for col in rows[0]:
            table.add_column(col, max_width=60 if col in ("question", "answer") else None)
        for r in rows:
            table.add_row(*("" if v is None else f"{v:.3f}" if isinstance(v, float) else escape(str(v)) for v in r.values()))
        console.print(table)
    if other is not None:
        diff = compare_runs(store, other, record, metric)
        counts = diff["verdict"].value_counts().to_dict()
        console.print(f"{metric}: run {other.id[:8]} (A) → {record.id[:8]} (B): "
                      + " · ".join(f"{counts.get(v, 0)} {v}" for v in ("better", "worse", "same")))
        table = Table(title=f"{metric}, A vs B")
        for col in ("question", "A", "B", "change", "verdict"):
            table.add_column(col, max_width=70 if col == "question" else None)
        for r in diff.itertuples():
            table.add_row(escape(r.question), *(f"{v:.3f}" if v == v and v is not None else "–" for v in (r.A, r.B, r.change)), r.verdict)
        console.print(table)


def _print_run(record) -> None:
    from docent.evaluate.report import metric_table

    table = Table(title=f"{record.suite} run {record.id[:8]} · {record.n_items} answers · model {record.model} · "
                        f"index {record.index_version}" + (f" · judge {record.judge_model}" if record.judge_model else ""))
    for col in ("metric", "value", "n", "undetermined", "threshold", "status"):
        table.add_column(col, justify="left" if col in ("metric", "status") else "right")
    for row in metric_table(record):
        style = {"threshold": "red", "regression": "yellow"}.get(row["status"], "")
        table.add_row(row["metric"], "–" if row["value"] is None else f"{row['value']:.3f}", str(row["n"]), str(row["undetermined"]),
                      "" if row["threshold"] is None else str(row["threshold"]), f"[{style}]{row['status']}[/{style}]" if style else row["status"])
    console.print(table)
    for f in record.findings or []:
        console.print(f"[red]✗ {escape(f['message'])}[/red]")
    for m in (record.config or {}).get("not_enough_data") or []:  # why the run could not say (older runs lack the key)
        console.print(f"[yellow]? {escape(m['message'])}[/yellow]")
    from docent.evaluate.results import RunStatus  # pandas: imported when a run is printed, not at CLI start

    colour = {RunStatus.PASSED: "green", RunStatus.NOT_ENOUGH_DATA: "yellow"}.get(record.status, "red")
    verdict = f"[{colour}]{RunStatus(record.status).label}[/{colour}]"
    console.print(f"{record.suite} evaluation {verdict} · run {record.id} · {record.judge_tokens} judge tokens (${record.judge_cost:.4f})")
