"""``docent users add|list``: accounts for the review app (the first admin is made here)."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table

from docent.commands.common import console, err, workspace

users_app = typer.Typer(help="Review app accounts: add them, list them.", no_args_is_help=True)


@users_app.command()
def add(
    username: str = typer.Argument(..., help="The sign-in name (up to 64 characters)."),
    role: str = typer.Option(..., help="reviewer (decides answers), analyst (reads) or admin (manages accounts)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input instead of prompting."
    ),
) -> None:
    """Add an account; the password is prompted for twice, hidden (or read from stdin for scripts)."""
    from docent.review.users import UserError, UserStore

    ws = workspace()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = UserStore(ws.settings.state_url).add(username, password, role)
    except UserError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    console.print(f"added {escape(user.username)} ({user.role.value})")


@users_app.command("list")
def list_users() -> None:
    """Every account with its role, and whether it is disabled."""
    from docent.review.users import UserStore

    ws = workspace()
    table = Table(title="users")
    for col in ("username", "role", "status"):
        table.add_column(col)
    for user in UserStore(ws.settings.state_url).list():
        table.add_row(escape(user.username), user.role.value, "disabled" if user.disabled else "active")
    console.print(table)
