"""``docent keys``: personal API keys, for programs that act as a Docent user (the HTTP API's credential)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from docent.commands.common import console, err, local_user, workspace

keys_app = typer.Typer(help="Personal API keys: create (shown once), list, revoke.", no_args_is_help=True)
AS_HELP = "Who is acting (default: $DOCENT_USER, else your OS user name); only admins act on others' keys."


def _owner(ws, username: str):
    from docent.review.users import UserStore

    owner = UserStore(ws.settings.state_url).get(username)
    if owner is None:
        err.print(f"[red]no user {escape(username)!r}: add one with `docent users add`[/red]")
        raise typer.Exit(2)
    return owner


def _when(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "—"


@keys_app.command()
def create(
    username: str = typer.Argument(..., help="Whose key (yours, or anyone's for an admin)."),
    name: str = typer.Option("", "--name", help="What the key is for, e.g. 'slack bot'."),
    expires: Optional[float] = typer.Option(None, "--expires", help="Days until it stops working (default: never)."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Make a key; it is printed once, on the last line, and never shown again (only its prefix is kept)."""
    from docent.access import PermissionDenied
    from docent.review.api_keys import ApiKeyError, ApiKeys

    ws = workspace()
    actor = local_user(ws, as_user)
    try:
        key = ApiKeys(ws.settings.state_url).create(actor, _owner(ws, username), name, expires)
    except (ApiKeyError, PermissionDenied) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    lifetime = f"expires in {expires:g} days" if expires is not None else "does not expire"
    console.print(f"key {key.split('_')[1]} for {escape(username)} ({lifetime}); copy it now, it is not shown again:")
    typer.echo(key)


@keys_app.command("list")
def list_keys(
    username: Optional[str] = typer.Argument(None, help="Whose keys (default: yours; every user's for an admin with --all)."),
    every: bool = typer.Option(False, "--all", help="Every user's keys (admins)."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Keys with their prefix, owner, name, dates and status (never the key)."""
    from docent.access import PermissionDenied
    from docent.review.api_keys import ApiKeys
    from docent.review.users import UserStore
    from docent.store.records import utc_now

    ws = workspace()
    actor = local_user(ws, as_user)
    owner = _owner(ws, username) if username else (None if every else actor)
    try:
        keys = ApiKeys(ws.settings.state_url).list(actor, owner)
    except PermissionDenied as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    names = {u.id: u.username for u in UserStore(ws.settings.state_url).list()}
    table = Table(title="API keys")
    for col in ("prefix", "user", "name", "created", "expires", "last used", "status"):
        table.add_column(col)
    now = utc_now()
    for k in keys:
        table.add_row(k.prefix, escape(names.get(k.user_id, k.user_id)), escape(k.name), _when(k.created_at),
                      _when(k.expires_at), _when(k.last_used_at), k.status(now))
    console.print(table)


@keys_app.command()
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as `docent keys list` shows it."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Revoke a key at once: programs using it are refused from their next request."""
    from docent.review.api_keys import ApiKeys

    ws = workspace()
    if not ApiKeys(ws.settings.state_url).revoke(local_user(ws, as_user), prefix.strip()):
        err.print(f"[red]no live key {escape(prefix)!r} of yours: see `docent keys list`[/red]")
        raise typer.Exit(2)
    console.print(f"revoked key {escape(prefix)}")
