"""``docent ask`` (stream an answer with its sources), ``docent conversations`` (yours) and ``docent stats``."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from docent.chat.states import State
from docent.commands.common import USER_HELP, console, err, local_user, workspace

METRICS = ("command_ms", "retrieval_ms", "ttft_ms", "total_ms", "finalize_lag_ms")


def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    conversation: Optional[str] = typer.Option(None, "--conversation", "-c", help="Continue this conversation id."),
    doc_id: Optional[str] = typer.Option(None, help="Answer only from this document."),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON lines instead of text."),
    image: Optional[Path] = typer.Option(None, "--image", help="A picture that goes with the question (its text is "
                                         "read by OCR; a model that reads images also sees it)."),
    user: Optional[str] = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Answer a question from the indexed documents, streaming it with numbered sources. Ctrl-C stops it.

    The conversation is yours (the local user's): `docent conversations` lists them, `-c ID` continues one.
    """
    from docent.access import PermissionDenied
    from docent.chat.service import ChatRequestError

    if image is not None and not image.is_file():
        err.print(f"[red]no such picture: {escape(str(image))}[/red]")
        raise typer.Exit(2)
    ws = workspace()
    if ws.retriever.index.count() == 0:
        err.print("[red]the index is empty: run `docent ingest PATH` first[/red]")
        raise typer.Exit(1)
    principal = local_user(ws, user)
    service = ws.chat
    service.warm_up()
    try:
        picture = image.read_bytes() if image is not None else None
        message_id = service.start(principal, question, conversation, {"doc_id": doc_id} if doc_id else None, picture)
    except (ChatRequestError, PermissionDenied) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    final = asyncio.run(_stream(service, principal, message_id, as_json))
    service.close()
    if as_json or final is None:
        raise typer.Exit(0 if final is not None and final.kind == "final" else 1)
    record = service.store.get_message(message_id)
    _print_sources(final, record)
    console.print(f"[dim]conversation {record.conversation_id} · answer {message_id}[/dim]")
    if final.kind == "error":
        raise typer.Exit(1)


async def _stream(service, principal, message_id: str, as_json: bool):
    """Print events as they come; the first Ctrl-C cancels the answer, a second one quits at once."""
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        loop.remove_signal_handler(signal.SIGINT)
        service.cancel(principal, message_id)

    loop.add_signal_handler(signal.SIGINT, on_interrupt)
    final = None
    try:
        async for event in service.stream(principal, message_id):
            if as_json:
                print(json.dumps(_jsonable(event)), flush=True)
            elif event.kind == "token":
                console.print(escape(event.text), end="", soft_wrap=True)
            elif event.kind == "final":
                console.print("" if event.state == State.COMPLETED else "\n[yellow]cancelled[/yellow]")
            elif event.kind == "error":
                console.print(f"\n[red]{escape(event.message)}[/red] [dim]({event.code})[/dim]")
            if event.kind in ("final", "error"):
                final = event
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    return final


def _jsonable(event) -> dict:
    from dataclasses import asdict

    return asdict(event)


def _print_sources(final, record) -> None:
    citations = getattr(final, "citations", None) or []
    if not citations:
        return
    console.print("\n[bold]Sources[/bold]")
    for c in citations:
        where = c["title"] + (f" p.{c['page']}" if c.get("page") else "") + (f" ({c['document']})" if c.get("document") else "") \
            + (f" › {c['section']}" if c.get("section") else "")
        snippet = c["snippet"] if len(c["snippet"]) <= 160 else c["snippet"][:157].rsplit(" ", 1)[0] + "…"
        console.print(f" [bold][{c['n']}][/bold] [cyan]{escape(where)}[/cyan]  [dim]{escape(snippet)}[/dim]")
    unsupported = [g for g in (record.grounding or []) if not g.get("supported")]
    for g in unsupported:
        console.print(f" [yellow]⚠ not supported by its sources ({g['score']:.2f}):[/yellow] {escape(g['sentence'])}")


def conversations(
    limit: int = typer.Option(20, min=1, help="How many, most recent first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
    user: Optional[str] = typer.Option(None, "--user", help=USER_HELP),
) -> None:
    """Your conversations (the local user's), most recent first: continue one with `docent ask -c ID "..."`."""
    from docent.access import visible_owners
    from docent.store.chat import ChatStore

    ws = workspace()
    principal = local_user(ws, user)
    listed = ChatStore(ws.settings.state_url).list_conversations(visible_owners(principal), limit)
    if as_json:
        for c in listed:
            print(json.dumps({"id": c.id, "title": c.title, "updated_at": c.updated_at.isoformat()}))
        return
    if not listed:
        console.print(f"no conversations for {escape(principal.username)} yet: try `docent ask \"...\"`")
        return
    table = Table(title=f"conversations of {escape(principal.username)}")
    for col in ("id", "title", "last active"):
        table.add_column(col)
    for c in listed:
        table.add_row(c.id, escape(c.title or "untitled"), f"{c.updated_at:%Y-%m-%d %H:%M}")
    console.print(table)


def stats(
    limit: int = typer.Option(1000, min=1, help="How many recent answers to summarise."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Latency percentiles and outcomes over recent answers (command, retrieval, TTFT, total, finalization lag)."""
    from docent.store.chat import ChatStore

    ws = workspace()
    store = ChatStore(ws.settings.state_url)
    store.sweep(ws.settings.chat.recovery_s)  # an answer whose process died is not "streaming" any more
    frame = store.recent_metrics(limit)
    if frame.empty:
        console.print("no answers yet: try `docent ask \"...\"`")
        return
    summary = {
        "answers": len(frame),
        "completed_share": float((frame["state"] == State.COMPLETED.value).mean()),
        "cache_hit_share": float(frame["cache_hit"].fillna(False).astype(bool).mean()),
        "states": frame["state"].value_counts().to_dict(),
    }
    table = Table(title=f"last {len(frame)} answers")
    for col in ("metric", "n", "p50", "p95", "p99", "max"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name in METRICS:
        if name not in frame:
            continue
        values = frame[name].dropna().astype(float)
        if values.empty:
            continue
        q = values.quantile([0.5, 0.95, 0.99])
        summary[name] = {"n": len(values), "p50": q[0.5], "p95": q[0.95], "p99": q[0.99], "max": values.max()}
        table.add_row(name, str(len(values)), *(f"{v:.1f}" for v in (q[0.5], q[0.95], q[0.99], values.max())))
    if as_json:
        print(json.dumps(summary, default=float))
        return
    console.print(table)
    states = ", ".join(f"{k} {v}" for k, v in summary["states"].items())
    console.print(f"completed {summary['completed_share']:.0%} · cache hits {summary['cache_hit_share']:.0%} · {states}")
