"""What every command shares: the consoles and a workspace built from validated settings."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from docent.settings import SettingsError, load_settings

console = Console()
err = Console(stderr=True, soft_wrap=True)


def unreachable_service(exc: BaseException) -> str | None:
    """One line for a server that cannot be reached (a set-up problem, not a bug), else None."""
    import redis.exceptions
    import sqlalchemy.exc

    for e in (exc, exc.__cause__):
        if isinstance(e, sqlalchemy.exc.OperationalError):
            reason = " ".join(str(e.orig).split())
            return f"cannot reach the state database ({reason}): is the server running? check state.url (env DOCENT_STATE__URL)"
        if isinstance(e, redis.exceptions.ConnectionError):
            return f"cannot reach Redis ({e}): is the server running? check cache.redis_url (env DOCENT_CACHE__REDIS_URL)"
        if isinstance(e, ConnectionError):  # Weaviate's WeaviateUnavailableError says what to check
            return str(e)
    return None


def workspace():
    """The installation's workspace; a bad setting ends the command with its message (exit 2)."""
    from docent.workspace import Workspace

    try:
        return Workspace(load_settings())
    except SettingsError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
