"""Test servers as real processes on loopback: bind, announce the port, serve; and the parent's handle.

The fake model server and the fake identity provider both run this way, so tests exercise real
HTTP (litellm's client, Streamlit's OAuth flow) without the network.
"""

from __future__ import annotations

import asyncio
import select
import socket
import subprocess
import sys

from aiohttp import web


def free_port() -> int:
    """A loopback port free at this moment, for a server that must be told its port (uvicorn, streamlit)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve_app(app: web.Application, host: str, port: int, **runner_options) -> None:
    """Bind, print ``listening on http://host:port`` (the real port) for the parent, then serve until killed."""
    runner = web.AppRunner(app, access_log=None, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    print(f"listening on http://{host}:{site._server.sockets[0].getsockname()[1]}", flush=True)  # type: ignore[union-attr]
    await asyncio.Event().wait()


class LocalServer:
    """Starts ``python -m <module>`` and learns its port; a context manager. Subclasses name the module."""

    module = ""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 30.0) -> None:
        self.host, self.port, self.startup_timeout = host, port, startup_timeout
        self.root_url = f"http://{host}:{port}"  # the real port once started
        self.process: subprocess.Popen[str] | None = None

    def arguments(self) -> list[str]:
        """Extra command-line arguments for the server."""
        return []

    def start(self):
        cmd = [sys.executable, "-m", self.module, "--host", self.host, "--port", str(self.port), *self.arguments()]
        self.process = process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([process.stdout], [], [], self.startup_timeout)
        line = process.stdout.readline() if ready else ""  # type: ignore[union-attr]
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"{self.module} did not start within {self.startup_timeout} s: {line!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.root_url = f"http://{self.host}:{self.port}"
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()  # it holds nothing worth a graceful shutdown
            process.wait()
            process.stdout.close()  # type: ignore[union-attr]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
