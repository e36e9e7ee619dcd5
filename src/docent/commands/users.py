"""``docent users``: accounts for the app (the first admin is made here), and an admin's changes to them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from docent.commands.common import console, err, local_user, workspace

users_app = typer.Typer(help="App accounts: add, list, change roles, disable, re-enable, reset passwords.",
                        no_args_is_help=True)
AS_HELP = "The admin making the change (default: $DOCENT_USER, else your OS user name)."


@users_app.command()
def add(
    username: str = typer.Argument(..., help="The sign-in name (up to 64 characters)."),
    role: str = typer.Option(..., help="member (asks), reviewer (decides answers), analyst (reads evaluation) or "
                             "admin (manages accounts)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input instead of prompting."
    ),
) -> None:
    """Add an account; the password is prompted for twice, hidden (or read from stdin for scripts)."""
    from docent.review.users import UserError, UserStore

    ws = workspace()
    password = _password(password_stdin)
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


@users_app.command()
def role(
    username: str = typer.Argument(..., help="Whose role to change."),
    new_role: str = typer.Argument(..., metavar="ROLE", help="member, reviewer, analyst or admin."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Change an account's role."""
    _change(as_user, lambda users, admin: users.set_role(admin, username, new_role), f"{username} is now {new_role}")


@users_app.command()
def disable(
    username: str = typer.Argument(..., help="The account that may no longer sign in."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Disable an account: it cannot sign in, and its open sessions stop working."""
    _change(as_user, lambda users, admin: users.disable(admin, username), f"disabled {username}")


@users_app.command()
def enable(
    username: str = typer.Argument(..., help="The account to re-enable."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Re-enable a disabled account."""
    _change(as_user, lambda users, admin: users.enable(admin, username), f"re-enabled {username}")


@users_app.command()
def password(
    username: str = typer.Argument(..., help="Whose password to reset."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from standard input."),
    as_user: Optional[str] = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    """Reset an account's password (prompted for twice, hidden)."""
    new = _password(password_stdin)
    _change(as_user, lambda users, admin: users.set_password(admin, username, new), f"reset the password of {username}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _change(as_user: str | None, change: Callable, done: str) -> None:
    """Run an admin's change as the local user, with a clear refusal for a non-admin or bad input."""
    from docent.access import PermissionDenied
    from docent.review.users import UserError, UserStore

    ws = workspace()
    admin = local_user(ws, as_user)
    try:
        change(UserStore(ws.settings.state_url), admin)
    except (UserError, PermissionDenied) as exc:
        from docent.store.audit import AuditLog

        AuditLog(ws.settings.state_url).refused(admin.id, "manage_users", type(exc).__name__, str(exc))
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    console.print(escape(done))
