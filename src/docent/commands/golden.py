"""``docent golden export``: the reviewed golden set as JSONL, for evaluation runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from docent.commands.common import console, err, workspace

golden_app = typer.Typer(help="Golden sets built from review decisions.", no_args_is_help=True)


@golden_app.command()
def export(
    path: Path = typer.Argument(..., dir_okay=False, help="The JSONL file to write (replaced if it exists)."),
    set_name: str = typer.Option("default", "--set", help="Which golden set."),
    kind: str = typer.Option("positive", help="positive (approved answers) or negative (rejected ones, with why)."),
) -> None:
    """Write one JSON object per item: question, reference answer, cited chunk ids, provenance, version."""
    from docent.review.golden import KINDS, GoldenSets

    if kind not in KINDS:
        err.print(f"[red]unknown kind {escape(kind)!r}; choose {' or '.join(KINDS)}[/red]")
        raise typer.Exit(2)
    ws = workspace()
    sets = GoldenSets(ws.settings.state_url)
    try:
        written = sets.export(path, set_name, kind)
    except OSError as exc:
        err.print(f"[red]cannot write {escape(str(path))}: {escape(exc.strerror or str(exc))}[/red]")
        raise typer.Exit(2) from None
    console.print(f"wrote {written} {kind} items of golden set {escape(set_name)!r} (version {sets.version(set_name)}) "
                  f"to {escape(str(path))}")
