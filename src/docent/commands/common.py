"""What every command shares: the consoles, a workspace built from validated settings, and who is asking."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from docent.settings import SettingsError, load_settings

# The project folder this install runs from (src/docent/commands/ → three levels up): the thin layers
# (app/, assets/, flows/) live there and are reached by path, never imported by the core.
PROJECT_ROOT = Path(__file__).resolve().parents[3]

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


USER_HELP = "Act as this local user (default: $DOCENT_USER, else your OS user name)."


def local_user(ws, name: str | None):
    """The principal the CLI acts as: ``name``, else ``$DOCENT_USER``, else the OS user, created on first use.

    A new local user is an admin on a local install (SQLite state: whoever can run the CLI can read the
    file anyway) and a member on a shared database, where an admin raises the role with `docent users role`.
    """
    from docent.access import Role
    from docent.review.users import UserError, UserStore

    name = (name or os.environ.get("DOCENT_USER") or getpass.getuser()).strip()
    local_install = ws.settings.state_url.startswith("sqlite")
    try:
        user = UserStore(ws.settings.state_url).local(name, Role.ADMIN if local_install else Role.MEMBER)
    except UserError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if user.disabled:
        err.print(f"[red]the account {escape(name)!r} is disabled: ask an admin to run `docent users enable {escape(name)}`[/red]")
        raise typer.Exit(2)
    return user
