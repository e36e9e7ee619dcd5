"""``docent serve``: the HTTP API on this machine (uvicorn running ``api/main.py`` from the project folder)."""

from __future__ import annotations

import os
import sys

import typer

from docent.commands.common import PROJECT_ROOT, err


def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to bind; 0.0.0.0 exposes it to the network."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each opens the index and the model)."),
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs). Programs authenticate with `docent keys create NAME`."""
    if not (PROJECT_ROOT / "api" / "main.py").is_file():
        err.print(f"the API needs the project folder (api/ beside src/), not found under {PROJECT_ROOT}")
        raise typer.Exit(2)
    args = [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--app-dir", str(PROJECT_ROOT),
            "--host", host, "--port", str(port), "--workers", str(workers), "--no-access-log"]
    typer.echo(f"Docent API on http://{host}:{port} (docs: /docs)")
    sys.stdout.flush()
    os.chdir(PROJECT_ROOT)
    os.execv(sys.executable, args)  # uvicorn takes this process: a signal to `docent serve` reaches it, nothing is orphaned
