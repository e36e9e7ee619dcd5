"""A local OpenAI-compatible chat server whose behaviour is scripted by the model name.

Why: tests and benchmarks must exercise litellm's real HTTP path (transport, SSE parsing, error mapping, timeouts, cancellation)
without the network. Each request carries its own script in its model name, `fake:first_token_ms=300;tokens=5;run=abc`, so
concurrent tests sharing one server never interfere. Keys (see Script): first_token_ms, token_ms, tokens, status, retry_after,
fail_times, run, disconnect_after, reset (1: abort with a TCP RST rather than a FIN), headers (early|late: send the HTTP
headers before or after the first-token delay), text (fixed reply, percent-decoded; else tokens `w{i}-{tag} `), judge
(1|0|bad: answer ragas' judge prompts, see fake_judge), bytext (1: the last `[[key=value;...]]` in the last user message
overrides keys for that request, so a server whose model name is fixed by its configuration, e.g. `docent serve`, can
still be given a different fault per question: "Who leads the lab? [[status=500;run=r1]]").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import re
import socket
import struct
import time
import urllib.request
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import quote, unquote, urlencode

from aiohttp import web

from docent.devtools.fake_judge import judge_reply
from docent.devtools.local_server import LocalServer, serve_app

POLL_S = 0.005  # how often a waiting handler checks whether the client went away
_RUNS = web.AppKey("runs", dict)
_LOG = web.AppKey("log", list)
_ids = itertools.count(1)
_MARKER = re.compile(r"\[\[([^\[\]]*)\]\]")  # [[key=value;...]] in a question, read when the script says bytext=1


@dataclass
class Script:
    """What one request should do, parsed from its model name."""

    first_token_ms: float = 0.0
    token_ms: float = 0.0
    tokens: int = 20
    status: int | None = None  # answer with this HTTP status and an OpenAI-style error body
    retry_after: str = "1"  # the retry-after header of a 429
    fail_times: int | None = None  # apply `status` only to the first N requests of this run (or model name)
    run: str | None = None
    disconnect_after: int | None = None  # send this many tokens, then drop the connection
    reset: bool = False
    headers: str = "early"
    text: str | None = None
    judge: str | None = None  # answer ragas' judge prompts: 1, 0 or bad (see fake_judge)
    bytext: bool = False  # a [[key=value;...]] in the last user message overrides keys for that request


def parse_model(model: str) -> Script:
    """`fake` or `fake:key=value;key=value` (an `openai/` prefix is tolerated) -> Script."""
    base, _, opts = model.removeprefix("openai/").partition(":")
    if base != "fake":
        raise ValueError(f"unknown fake model {model!r}: expected 'fake' or 'fake:key=value;...'")
    return _apply(Script(), opts, model)


def script_for(script: Script, messages: list[dict[str, Any]]) -> Script:
    """The script one request follows: with ``bytext``, the last ``[[key=value;...]]`` of its last user message
    overrides the model name's keys (the question may sit at the end of a longer prompt, as in Docent's)."""
    if not script.bytext or not (markers := _MARKER.findall(_last_user_text(messages))):
        return script
    return _apply(replace(script), markers[-1], f"[[{markers[-1]}]]")


def _apply(script: Script, opts: str, where: str) -> Script:
    """Set each `key=value` of `opts` (`;`-separated, values percent-decoded) on `script`."""
    kinds = {f.name: str(f.type) for f in fields(Script)}
    for key, _, value in (part.partition("=") for part in opts.split(";") if part):
        if key not in kinds:
            raise ValueError(f"unknown fake model key {key!r} in {where!r}")
        kind, value = kinds[key], unquote(value)
        setattr(script, key, value if "str" in kind else bool(int(value)) if kind == "bool" else
                float(value) if "float" in kind else int(value))
    return script


def fake_model(prefix: str = "openai/", **opts: Any) -> str:
    """Build a scripted model name: fake_model(tokens=5, run="x") -> 'openai/fake:tokens=5;run=x'."""
    parts = [f"{k}={quote(str(int(v) if isinstance(v, bool) else v), safe='')}" for k, v in opts.items()]
    return f"{prefix}fake" + (":" + ";".join(parts) if parts else "")


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    content = next((m.get("content") or "" for m in reversed(messages or []) if m.get("role") == "user"), "")
    if isinstance(content, list):  # multi-part content: keep the text parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _user_parts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last user message's content parts as logged: a text part's text, an image part's URL
    scheme and media type and its length (not the whole data URL)."""
    content = next((m.get("content") or "" for m in reversed(messages or []) if m.get("role") == "user"), "")
    parts = content if isinstance(content, list) else [{"type": "text", "text": str(content)}]
    logged = []
    for part in parts:
        if isinstance(part, dict) and part.get("type") == "image_url":
            url = str((part.get("image_url") or {}).get("url", ""))
            logged.append({"type": "image_url", "head": url.split(",", 1)[0], "length": len(url)})
        elif isinstance(part, dict):
            logged.append({"type": part.get("type"), "text": part.get("text", "")})
    return logged


def reply_tokens(messages: list[dict[str, Any]], tokens: int = 20, text: str | None = None) -> list[str]:
    """The tokens a request will stream: deterministic, and tagged by the last user message so streams never mix."""
    if text is not None:
        return [w + " " for w in text.split(" ")[:-1]] + text.split(" ")[-1:]
    tag = hashlib.sha1(_last_user_text(messages).encode()).hexdigest()[:6]
    return [f"w{i}-{tag} " for i in range(tokens)]


def expected_reply(messages: list[dict[str, Any]], tokens: int = 20, text: str | None = None) -> str:
    """The full reply text a successful request will produce, for assertions."""
    return "".join(reply_tokens(messages, tokens, text))


_ERRORS = {
    400: ("This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. "
          "Please reduce the length of the messages.", "invalid_request_error", "context_length_exceeded"),
    401: ("Incorrect API key provided: fake.", "invalid_request_error", "invalid_api_key"),
    429: ("Rate limit reached for requests. Please try again in {retry_after}s.", "requests", "rate_limit_exceeded"),
}


def _error_response(script: Script, status: int) -> web.Response:
    message, kind, code = _ERRORS.get(status, ("The server had an error while processing your request.", "server_error", None))
    error = {"message": message.format(retry_after=script.retry_after), "type": kind, "param": None, "code": code}
    headers = {"retry-after": script.retry_after} if status == 429 else {}
    return web.json_response({"error": error}, status=status, headers=headers)


async def _wait(request: web.Request, seconds: float) -> bool:
    """Sleep in small steps; False as soon as the client has gone away (so disconnects are seen within POLL_S)."""
    deadline = time.monotonic() + seconds
    while request.transport is not None and not request.transport.is_closing():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        await asyncio.sleep(min(POLL_S, left))
    return False


def _sse(rid: str, model: str, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    body = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model, "choices": choices}
    return b"data: " + json.dumps({**body, **extra}).encode() + b"\n\n"


def _usage(body: dict[str, Any], completion: int) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "").split()) for m in body.get("messages", []))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


async def _abort(request: web.Request, entry: dict[str, Any], rst: bool) -> None:
    """Drop the connection mid-body, as a crashing upstream would (after flushing what was already sent)."""
    entry["aborted"], entry["finished_at"] = True, time.time()
    if (transport := request.transport) is None:
        return
    while transport.get_write_buffer_size() and not transport.is_closing():
        await asyncio.sleep(POLL_S)
    if rst and (sock := transport.get_extra_info("socket")) is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def chat_completions(request: web.Request) -> web.StreamResponse:
    """POST /v1/chat/completions: follow the script in the model name and log what happened."""
    body = await request.json()
    model = str(body.get("model", "fake"))
    try:
        script = script_for(parse_model(model), body.get("messages", []))
    except ValueError as exc:
        return web.json_response({"error": {"message": str(exc), "type": "invalid_request_error", "code": None}}, status=404)
    entry: dict[str, Any] = {"id": f"chatcmpl-fake-{next(_ids)}", "model": model, "run": script.run, "started_at": time.time(),
                             "first_token_at": None, "finished_at": None, "disconnected_at": None, "tokens_sent": 0,
                             "status": 200, "aborted": False, "user_parts": _user_parts(body.get("messages", []))}
    request.app[_LOG].append(entry)
    if script.status is not None:
        seen = request.app[_RUNS][script.run or model] = request.app[_RUNS].get(script.run or model, 0) + 1
        if script.fail_times is None or seen <= script.fail_times:
            entry["status"], entry["finished_at"] = script.status, time.time()
            return _error_response(script, script.status)
    text = judge_reply(body.get("messages", []), script.judge) if script.judge else script.text
    tokens = reply_tokens(body.get("messages", []), script.tokens, text)
    return await (_stream if body.get("stream") else _complete)(request, body, script, tokens, entry)


async def _stream(request: web.Request, body: dict[str, Any], script: Script, tokens: list[str],
                  entry: dict[str, Any]) -> web.StreamResponse:
    rid, model = entry["id"], body.get("model", "fake")
    extra = {"usage": None} if (body.get("stream_options") or {}).get("include_usage") else {}
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    try:
        if script.headers == "early":
            await response.prepare(request)
        for i, token in enumerate(tokens):
            if not await _wait(request, (script.first_token_ms if i == 0 else script.token_ms) / 1000):
                entry["disconnected_at"] = time.time()
                return response
            if script.disconnect_after is not None and i >= script.disconnect_after:
                await _abort(request, entry, script.reset)
                return response
            await response.prepare(request)  # idempotent: a no-op once the headers are out
            delta = {"role": "assistant", "content": token} if i == 0 else {"content": token}
            await response.write(_sse(rid, model, delta, **extra))
            entry["tokens_sent"], entry["first_token_at"] = entry["tokens_sent"] + 1, entry["first_token_at"] or time.time()
        await response.prepare(request)
        await response.write(_sse(rid, model, {}, "stop", **extra))
        if extra:
            await response.write(_sse(rid, model, None, usage=_usage(body, len(tokens))))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        entry["finished_at"] = time.time()
    except (ConnectionResetError, asyncio.CancelledError):  # a write hit a connection the client had already closed
        entry["disconnected_at"] = entry["disconnected_at"] or time.time()
    return response


async def _complete(request: web.Request, body: dict[str, Any], script: Script, tokens: list[str],
                    entry: dict[str, Any]) -> web.StreamResponse:
    if not await _wait(request, (script.first_token_ms + script.token_ms * max(len(tokens) - 1, 0)) / 1000):
        entry["disconnected_at"] = time.time()
    elif script.disconnect_after is not None:
        await _abort(request, entry, script.reset)
    if entry["disconnected_at"] or entry["aborted"]:
        return web.Response(status=499)
    entry["tokens_sent"], entry["first_token_at"], entry["finished_at"] = len(tokens), time.time(), time.time()
    choice = {"index": 0, "message": {"role": "assistant", "content": "".join(tokens)}, "finish_reason": "stop"}
    return web.json_response({"id": entry["id"], "object": "chat.completion", "created": int(time.time()),
                              "model": body.get("model", "fake"), "choices": [choice], "usage": _usage(body, len(tokens))})


async def list_requests(request: web.Request) -> web.Response:
    """GET /_requests[?run=id]: the per-request log, for assertions about timing and disconnects."""
    return web.json_response([e for e in request.app[_LOG] if e["run"] == request.query.get("run", e["run"])])


async def reset(request: web.Request) -> web.Response:
    """POST /_reset: forget the log and the fail_times counters."""
    for store in (request.app[_LOG], request.app[_RUNS]):
        store.clear()
    return web.json_response({"ok": True})


def make_app() -> web.Application:
    """The aiohttp application; handlers are not cancelled on disconnect: they notice it, log it and stop."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[_LOG], app[_RUNS] = [], {}
    app.add_routes([web.post("/v1/chat/completions", chat_completions), web.get("/_requests", list_requests),
                    web.post("/_reset", reset)])
    return app


async def serve(host: str, port: int) -> None:
    await serve_app(make_app(), host, port, handler_cancellation=False)


class FakeLLMServer(LocalServer):
    """Runs the fake server as a real subprocess; `with FakeLLMServer() as s: litellm...(api_base=s.base_url)`."""

    module = "docent.devtools.fake_llm_server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 30.0) -> None:
        super().__init__(host, port, startup_timeout)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def requests(self, run: str | None = None) -> list[dict[str, Any]]:
        """The server's request log, optionally only one run's."""
        query = f"?{urlencode({'run': run})}" if run is not None else ""
        with self._opener.open(f"{self.root_url}/_requests{query}", timeout=10) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._opener.open(urllib.request.Request(f"{self.root_url}/_reset", data=b"", method="POST"), timeout=10).close()



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat server scripted by the model name.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
