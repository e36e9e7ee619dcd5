"""The ``docent`` command line: ingest, search, ask, status, stats and benchmarks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import typer  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from docent.commands.app import app_command  # noqa: E402
from docent.commands.chat import ask, conversations, stats  # noqa: E402
from docent.commands.common import console, err, unreachable_service, workspace  # noqa: E402
from docent.commands.evaluate import eval_app  # noqa: E402
from docent.commands.golden import golden_app  # noqa: E402
from docent.commands.index import index_app  # noqa: E402
from docent.commands.keys import keys_app  # noqa: E402
from docent.commands.serve import serve_command  # noqa: E402
from docent.commands.up import up_command  # noqa: E402
from docent.commands.users import users_app  # noqa: E402
from docent.ingest.plan import SKIPPED  # noqa: E402
from docent.ingest.sources import display_name, path_or_url  # noqa: E402

app = typer.Typer(help="Docent: documents in, hybrid search out.", no_args_is_help=True, add_completion=False)
bench_app = typer.Typer(help="Measure retrieval quality and ingestion speed.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(index_app, name="index")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(golden_app, name="golden")
app.add_typer(eval_app, name="eval")
app.command()(ask)
app.command()(conversations)
app.command()(stats)
app.command("app")(app_command)
app.command("serve")(serve_command)
app.command("up")(up_command)


def _rate_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@app.command()
def ingest(
    path: str = typer.Argument(..., help="A folder, a file, or an fsspec URL such as s3://bucket/prefix."),
    retry_quarantined: bool = typer.Option(False, help="Parse quarantined files again even if unchanged."),
    allow_mass_delete: bool = typer.Option(
        False, help="Delete removed files even when they are more than sync.max_delete_share of the source."
    ),
    dagster: Optional[bool] = typer.Option(
        None, help="Run the Dagster ingestion job in-process so the work shows in Dagster's run history "
        "(default: on when DAGSTER_HOME is set)."
    ),
) -> None:
    """Index new and changed documents, drop removed ones, quarantine what cannot be parsed."""
    from docent.ingest.sources import SourceError
    from docent.store.locks import LockTimeout

    if "://" not in path and not Path(path).exists():
        err.print(f"[red]{escape(path)}: no such folder or file[/red]")
        raise typer.Exit(2)
    ws = workspace()
    if dagster if dagster is not None else bool(os.environ.get("DAGSTER_HOME")):
        _finish(ws, _ingest_with_dagster(path, retry_quarantined, allow_mass_delete))
        return
    with err.status("loading the embedding model…"):
        _ = ws.embedder.model  # loaded before the bar starts, so it shows real rates
    with _rate_progress() as progress:
        task = progress.add_task("ingesting", total=None, rate="")
        done = {"docs": 0, "chunks": 0}

        def on_progress(docs: float, chunks: int) -> None:
            done["docs"] += docs
            done["chunks"] += chunks
            elapsed = max(progress.tasks[task].elapsed or 1e-9, 1e-9)
            rate = f"{done['docs'] / elapsed:.1f} docs/s · {done['chunks'] / elapsed:.1f} chunks/s"
            progress.update(task, advance=docs, rate=rate)

        try:
            report = ws.ingest(
                path,
                retry_quarantined=retry_quarantined,
                allow_mass_delete=allow_mass_delete,
                on_start=lambda n: progress.update(task, total=n),
                on_progress=on_progress,
            )
        except SourceError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from None
        except LockTimeout as exc:
            err.print(f"[red]another ingestion is writing the same index and did not finish in time ({escape(str(exc))});"
                      " what this run wrote so far is kept: run it again once that one is done (or raise "
                      "sync.write_wait_s)[/red]")
            raise typer.Exit(4) from None
    _finish(ws, report)


def _ingest_with_dagster(path: str, retry_quarantined: bool, allow_mass_delete: bool):
    """Run the Dagster job through the code location's own entry point (``python -m assets.run_ingest``, from
    the project folder: the core never imports Dagster's definitions) and read back its report."""
    import subprocess
    import sys
    import tempfile
    import time

    from docent.commands.common import PROJECT_ROOT
    from docent.ingest.pipeline import IngestReport

    if not (PROJECT_ROOT / "assets" / "run_ingest.py").is_file():
        err.print(f"[red]--dagster needs the project folder (assets/ beside src/), not found under {PROJECT_ROOT}[/red]")
        raise typer.Exit(2)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="docent-dagster-") as tmp, \
            err.status("running the Dagster ingestion job in-process…"):
        out = Path(tmp) / "report.json"
        args = [sys.executable, "-m", "assets.run_ingest", str(Path(path).resolve()) if "://" not in path else path,
                "--out", str(out)]
        args += ["--retry-quarantined"] * retry_quarantined + ["--allow-mass-delete"] * allow_mass_delete
        code = subprocess.call(args, cwd=PROJECT_ROOT)
        if code or not out.is_file():
            err.print(f"[red]the Dagster ingestion job failed (exit {code}); its messages are above[/red]")
            raise typer.Exit(code or 1)
        done = json.loads(out.read_text())
    report = IngestReport(**done["report"])
    report.seconds = time.perf_counter() - started
    console.print(f"Dagster runs: {', '.join(done['run_ids']) or 'none (nothing to ingest)'}")
    if done["failed_runs"]:
        err.print(f"[red]failed runs (see the Dagster UI): {', '.join(done['failed_runs'])}[/red]")
    return report


def _finish(ws, report) -> None:
    """The summary, then what the user must know: an unpromoted version, held-back deletions."""
    _print_report(report)
    live, _ = ws.versions.alias()
    if live != report.version:
        console.print(
            f"[yellow]built index version {report.version} beside the live one ({live}); search still reads "
            f"{live}. Check it, then run `docent index promote {report.version}`.[/yellow]"
        )
    if report.deletion_blocked:
        err.print(f"[red]{escape(report.deletion_blocked)}[/red]")
        raise typer.Exit(3)


def _print_report(report) -> None:
    table = Table(title=f"ingest summary ({report.seconds:.1f} s)")
    for col in ("new", "updated", "unchanged", "deleted", "quarantined", "skipped", "chunks written", "embedded"):
        table.add_column(col, justify="right")
    failed, skipped = report.failed, report.skipped
    table.add_row(
        *map(str, (len(report.new), len(report.updated), len(report.unchanged), len(report.deleted),
                   len(failed), len(skipped), report.chunks, report.embedded))
    )
    console.print(table)
    for title, listed in (("quarantined", failed), ("skipped, never read", skipped)):
        if listed:
            console.print(f"[yellow]{title}:[/yellow]")
        for uri, reason in sorted(listed.items()):
            console.print(f"  {escape(path_or_url(uri))}: {escape(reason)}")


@app.command()
def search(
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(5, "-k", min=1, max=1000, help="How many results."),
    mode: Optional[str] = typer.Option(None, help="dense, bm25 or hybrid (default: retrieval.mode)."),
    doc_id: Optional[str] = typer.Option(None, help="Only this document."),
    category: Optional[str] = typer.Option(None, help="Only this element category, e.g. Table."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Search the index and print the best chunks with their sources."""
    ws = workspace()
    filters = {k_: v for k_, v in (("doc_id", doc_id), ("category", category)) if v}
    if ws.retriever.index.count() == 0:
        err.print("[red]the index is empty: run `docent ingest PATH` first[/red]")
        raise typer.Exit(1)
    try:
        hits = ws.retriever.search(query, k=k, mode=mode, filters=filters)
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    for rank, hit in enumerate(hits, 1):
        c = hit.chunk
        if as_json:
            print(json.dumps({"rank": rank, "score": hit.score, "source": c.source_uri, "page": c.page,
                              "section": c.section, "chunk_id": c.chunk_id, "text": c.text}))
            continue
        where = display_name(c.source_uri) + (f" p.{c.page}" if c.page else "")
        where += f" › {c.section}" if c.section else ""
        console.print(f"[bold]{rank}.[/bold] [cyan]{escape(where)}[/cyan] [dim]({hit.score:.3f})[/dim]")
        snippet = " ".join(c.text.split())
        console.print("   " + escape(snippet[:300] + ("…" if len(snippet) > 300 else "")))
    if not hits:  # with --json, stdout stays JSON lines (none)
        (err if as_json else console).print("no results")


@app.command()
def status() -> None:
    """What is indexed, and which files are quarantined and why."""
    ws = workspace()
    records = ws.manifest.all().values()
    indexed = [r for r in records if r.status == "indexed"]
    quarantined = [r for r in records if r.status == "quarantined" and r.stage != SKIPPED]
    skipped = [r for r in records if r.status == "quarantined" and r.stage == SKIPPED]
    live, _ = ws.versions.alias()
    role = "live" if live == ws.version else f"not live; live is {live}" if live else "not built yet"
    console.print(f"data directory: {ws.settings.data_dir}  index: {ws.settings.index.backend}")
    console.print(f"configured index version: {ws.version} ({role})")
    console.print(f"{len(indexed)} documents indexed ({sum(r.chunks for r in indexed)} chunks), "
                  f"{len(quarantined)} quarantined, {len(skipped)} skipped (never read)")
    scanned = [r for r in indexed if r.ocr_pages]
    if scanned:
        console.print(f"{len(scanned)} read by OCR:")
    for r in scanned:
        confidence = f"mean confidence {r.ocr_confidence:.0f}" if r.ocr_confidence is not None else "no text found"
        console.print(f"  {escape(path_or_url(r.source_uri))}: {r.ocr_pages} of {r.pages} page(s) OCR'd, {confidence}")
        for note in (r.notes or "").splitlines():
            console.print(f"    [yellow]{escape(note)}[/yellow]")
    for r in quarantined + skipped:
        console.print(f"  [yellow]{escape(path_or_url(r.source_uri))}[/yellow] ({r.stage}): {escape(r.error or '')}")
    if any(r.stage == "tool" for r in quarantined):
        console.print("Documents quarantined at stage 'tool' are tried again by every ingestion once the program is installed.")


@bench_app.command("retrieval")
def bench_retrieval(
    corpus: Path = typer.Option(..., exists=True, dir_okay=False, help="BEIR corpus.jsonl"),
    queries: Path = typer.Option(..., exists=True, dir_okay=False, help="BEIR queries.jsonl"),
    qrels: Path = typer.Option(..., exists=True, dir_okay=False, help="BEIR qrels .tsv"),
    mode: str = typer.Option("hybrid", help="dense, bm25 or hybrid"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """nDCG@10, Recall@100 and MRR@10 on a BEIR data set, in a throwaway index."""
    from docent.evaluate.beir import BeirFormatError
    from docent.evaluate.bench import retrieval_benchmark

    ws = workspace()
    if mode not in ("dense", "bm25", "hybrid"):
        err.print(f"[red]unknown mode {mode!r}; choose dense, bm25 or hybrid[/red]")
        raise typer.Exit(2)
    try:
        with _rate_progress() as progress:
            task = progress.add_task("indexing corpus", total=None, rate="")
            result = retrieval_benchmark(
                ws, corpus, queries, qrels, [mode],
                on_start=lambda n: progress.update(task, total=n),
                on_progress=lambda n: progress.update(task, advance=n),
                log=lambda m: err.print(f"[yellow]{escape(m)}[/yellow]"),
            )[0]
    except BeirFormatError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(result))
        return
    for key in ("ndcg@10", "recall@100", "mrr@10"):
        console.print(f"{key:>11}: {result[key]:.4f}")
    console.print(f"{'queries':>11}: {result['queries']}   ({result['seconds']:.1f} s)")


@bench_app.command("ingest")
def bench_ingest(
    path: Path = typer.Argument(..., exists=True, help="A folder of documents."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Ingestion throughput against raw model encoding of the same chunks, plus the no-op re-run."""
    from docent.evaluate.bench import ingest_benchmark

    ws = workspace()
    result = ingest_benchmark(ws.settings, path, log=lambda m: err.print(escape(m)))
    if as_json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        console.print(f"{key:>28}: {value}")


def main() -> None:
    """The ``docent`` command: a server that cannot be reached ends it with one line, exit code 2."""
    try:
        app()
    except Exception as exc:
        reason = unreachable_service(exc)
        if reason is None:
            raise
        err.print(f"[red]{escape(reason)}[/red]")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
