"""The HTTP API against the chat core it wraps, with the local fake model server (200 ms to its
first token) and the same index (samples/acme), in one run:

- TTFT through HTTP (POST /v1/messages, then the first ``token`` event of the SSE stream) against
  TTFT in-process (``ChatService.start``, then the first token of ``stream``);
- command latency: POST /v1/messages, request to 202;
- N concurrent SSE streams on one API process (or ``--workers`` processes), spread over up to 200
  users: all end with ``final``, none mixes tokens, and the server's memory per open stream;
- cancel: POST /cancel to the model server seeing its connection closed.

    python benchmarks/api_latency.py [--asks 100] [--streams 200] [--workers 1]
    python benchmarks/api_latency.py --asks 0 --streams 1000 --workers 4   # the streams alone
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psutil

from docent.access import service_account
from docent.devtools.fake_llm_server import FakeLLMServer, fake_model
from docent.devtools.local_server import free_port
from docent.review.api_keys import ApiKeys
from docent.review.users import UserStore
from docent.settings import load_settings
from docent.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
USERS = 200  # askers of the concurrent streams (making one hashes a password: a quarter of a second)
QUESTIONS = ["How long is parental leave?", "What is the hotel cap in New York?", "Who leads the Lyon lab?",
             "How many sick days are there?", "When does the canteen open?"]


def pct(values: list[float]) -> dict[str, float]:
    a = np.array(values)
    return {"p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1), "n": len(a)}


def keys_for(state_url: str, n: int) -> list[str]:
    """n members, each with an API key (each asker within their own stream limit)."""
    users, keys = UserStore(state_url), ApiKeys(state_url)
    out = []
    for _ in range(n):
        name = f"b{uuid.uuid4().hex[:10]}"
        users.add(name, "password-bench", "member")
        user = users.get(name)
        out.append(keys.create(user, user, "bench"))
    return out


async def http_ask(client: httpx.AsyncClient, key: str, question: str) -> tuple[float, float, list[str], str]:
    """(command ms, TTFT ms, the tokens, the last event's kind) of one question over HTTP; a connection that
    fails is printed and counted as not terminal."""
    try:
        return await asked_over_http(client, key, question)
    except httpx.TransportError as exc:
        print(f"transport error: {type(exc).__name__} {exc}", file=sys.stderr)
        return 0.0, 0.0, [], f"transport {type(exc).__name__}"


async def asked_over_http(client: httpx.AsyncClient, key: str, question: str) -> tuple[float, float, list[str], str]:
    headers = {"Authorization": f"Bearer {key}"}
    began = time.perf_counter()
    accepted = await client.post("/v1/messages", json={"question": question}, headers=headers)
    command = (time.perf_counter() - began) * 1000
    if accepted.status_code != 202:  # refused: counted as not terminal, and why printed
        print(f"POST /v1/messages: {accepted.status_code} {accepted.text[:300]}", file=sys.stderr)
        return command, 0.0, [], f"http {accepted.status_code}"
    first, tokens, kind = None, [], ""
    async with client.stream("GET", accepted.json()["stream_url"], headers=headers) as stream:
        event = ""
        async for line in stream.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                kind = event
                if event == "token":
                    first = first or (time.perf_counter() - began) * 1000
                    tokens.append(json.loads(line[6:])["text"])
    return command, first or 0.0, tokens, kind


async def in_process_ask(ws: Workspace, question: str) -> float:
    who = service_account(f"bench-{uuid.uuid4().hex[:8]}")
    began = time.perf_counter()
    message_id = await asyncio.to_thread(ws.chat.start, who, question)
    async for event in ws.chat.stream(who, message_id):
        if event.kind == "token":
            return (time.perf_counter() - began) * 1000
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asks", type=int, default=100)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--server-log", type=Path, help="write the API server's output here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docent-apibench-"))
    try:
        run_in(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_in(work: Path, args: argparse.Namespace) -> None:
    data = work / "data"
    env = {**os.environ, "DOCENT_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "docent.cli", "ingest", str(REPO / "samples" / "acme")], env=env,
                   check=True, capture_output=True)
    with FakeLLMServer() as fake:
        run = uuid.uuid4().hex[:8]
        model = fake_model(run=run, first_token_ms=200, tokens=30, token_ms=10)
        env |= {"DOCENT_CHAT__MODEL": model, "DOCENT_CHAT__API_BASE": fake.base_url, "DOCENT_CHAT__API_KEY": "fake",
                "DOCENT_CACHE__ANSWERS": "false", "DOCENT_API__RATE_LIMIT": "1000000/minute",
                "DOCENT_CHAT__MAX_ACTIVE_STREAMS": str(args.streams + 16),
                "DOCENT_CHAT__MAX_STREAMS_PER_USER": str(-(-args.streams // USERS) + 3)}
        os.environ.update({k: v for k, v in env.items() if k.startswith("DOCENT_")})
        port = free_port()
        server = psutil.Popen([sys.executable, "-m", "docent.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers)], env=env, stderr=subprocess.STDOUT,
                              stdout=args.server_log.open("w") if args.server_log else subprocess.DEVNULL)
        ws = Workspace(load_settings())
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/health", trust_env=False).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            keys = keys_for(ws.settings.state_url, min(args.streams, USERS) + 2)
            results = asyncio.run(measure(base, ws, keys, args, fake, run, server))
            results["server_rss_mib_idle"] = results.pop("rss_idle")
        finally:
            server.terminate()
            server.wait(30)
            ws.close()
    print(json.dumps(results, indent=2))


async def measure(base: str, ws: Workspace, keys: list[str], args, fake: FakeLLMServer, run: str,
                  serve: psutil.Process) -> dict:
    limits = httpx.Limits(max_connections=args.streams + 16, max_keepalive_connections=args.streams + 16)
    async with httpx.AsyncClient(base_url=base, timeout=120, trust_env=False, limits=limits) as client:
        for q in QUESTIONS:  # warm both paths
            await http_ask(client, keys[0], q)
            await in_process_ask(ws, q)
        http, local, commands = [], [], []
        for i in range(args.asks):
            command, ttft, _, _ = await http_ask(client, keys[0], QUESTIONS[i % len(QUESTIONS)])
            commands.append(command)
            http.append(ttft)
            local.append(await in_process_ask(ws, QUESTIONS[i % len(QUESTIONS)]))
        def rss() -> int:  # `docent serve` and the uvicorn process it runs
            return sum(p.memory_info().rss for p in [serve, *serve.children(recursive=True)])

        idle = rss()
        peak = [idle]

        async def watch() -> None:
            while True:
                peak[0] = max(peak[0], rss())
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        began = time.perf_counter()
        fresh = httpx.Limits(max_connections=2 * args.streams + 16, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=300, trust_env=False, limits=fresh) as each:
            # a connection per request: under this load, one idle a moment too long may be closed by the server
            # while reused (the keep-alive race), which says nothing of the streams
            many = await asyncio.gather(*(http_ask(each, keys[2 + i % (len(keys) - 2)], QUESTIONS[i % len(QUESTIONS)])
                                          for i in range(args.streams)))
        wall = time.perf_counter() - began
        watcher.cancel()
        ended = sum(kind in ("final", "error") for _, _, _, kind in many)
        finals = sum(kind == "final" for _, _, _, kind in many)
        mixed = sum(len({t.strip().split("-", 1)[-1] for t in tokens}) > 1 for _, _, tokens, _ in many)

        results = {"workers": args.workers, "rss_idle": round(idle / 2**20),
                   "concurrent_streams": {"n": args.streams, "terminal": ended, "final": finals, "mixed": mixed,
                                          "wall_s": round(wall, 2),
                                          "server_mib_per_open_stream": round((peak[0] - idle) / 2**20 / args.streams, 2)}}
        if args.asks:
            results |= {"ttft_http_ms": pct(http), "ttft_in_process_ms": pct(local), "command_ms": pct(commands),
                        "ttft_http_minus_in_process_ms": {
                            q: round(float(np.percentile(http, n) - np.percentile(local, n)), 1)
                            for q, n in (("p50", 50), ("p95", 95))}}
        if args.workers == 1:  # with several, the cancel may reach a worker that does not stream the answer
            delays = [await cancel_after_five(client, keys[1], fake, run) for _ in range(20)]
            results["cancel_to_model_connection_closed_ms"] = pct(delays)
        return results


async def cancel_after_five(client: httpx.AsyncClient, key: str, fake: FakeLLMServer, run: str) -> float:
    """POST /cancel after the fifth token; ms until the model server sees its connection closed."""
    headers = {"Authorization": f"Bearer {key}"}
    accepted = (await client.post("/v1/messages", json={"question": QUESTIONS[0]}, headers=headers)).json()
    tokens, sent = 0, 0.0
    async with client.stream("GET", accepted["stream_url"], headers=headers) as stream:
        async for line in stream.aiter_lines():
            tokens += line == "event: token"
            if tokens == 5 and not sent:
                sent = time.time()
                await client.post(f"/v1/messages/{accepted['message_id']}/cancel", headers=headers)
    for _ in range(100):  # the model server records the close a moment later
        closed = fake.requests(run=run)[-1]["disconnected_at"]
        if closed:
            return (closed - sent) * 1000
        await asyncio.sleep(0.01)
    raise RuntimeError("the model server never saw the connection closed")


if __name__ == "__main__":
    main()
