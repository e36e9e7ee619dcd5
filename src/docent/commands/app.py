"""``docent app``: the Streamlit app on this machine (sign in, chat, review, ingestion)."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from docent.commands.common import PROJECT_ROOT, err


def app_command(
    port: int = typer.Option(8501, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; 0.0.0.0 exposes it to the network."),
) -> None:
    """Start the web app. Create a first user with `docent users add NAME --role admin`."""
    entry = PROJECT_ROOT / "app" / "server.py"
    if not entry.is_file():
        err.print(f"the app needs the project folder (app/ beside src/), not found under {PROJECT_ROOT}")
        raise typer.Exit(2)
    args = [
        sys.executable, "-m", "streamlit", "run", str(entry), "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    typer.echo(f"Docent on http://{host}:{port}")
    raise typer.Exit(subprocess.call(args, env={**os.environ, "STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal"}))
