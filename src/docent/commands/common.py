"""What every command shares: the consoles and a workspace built from validated settings."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from docent.settings import SettingsError, load_settings

console = Console()
err = Console(stderr=True, soft_wrap=True)


def workspace():
    """The installation's workspace; a bad setting ends the command with its message (exit 2)."""
    from docent.workspace import Workspace

    try:
        return Workspace(load_settings())
    except SettingsError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
