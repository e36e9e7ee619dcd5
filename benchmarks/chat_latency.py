"""Chat latency against the local fake OpenAI-compatible server (200 ms to its first token).

Measures, in one run: our time-to-first-token overhead over the server's own, without and with
hybrid retrieval over a 100,000-chunk index; 50 concurrent streams (all complete, none mixes
tokens with another); TTFT with every store write slowed by 500 ms; how fast a cancel reaches
the server as a closed connection; and how fast a cache hit is served.

    python benchmarks/chat_latency.py --data ../shared/data/scifact-dev [--chunks 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from query_latency import grow  # benchmarks/ is on sys.path when this script runs

from docent.access import service_account
from docent.chat.answer_cache import SQLiteAnswerCache
from docent.chat.service import ChatService
from docent.devtools.fake_llm_server import FakeLLMServer, fake_model
from docent.evaluate import beir
from docent.index import open_index
from docent.index.base import Chunk
from docent.retrieve import Retriever
from docent.settings import load_settings
from docent.store.chat import ChatStore
from docent.workspace import Workspace

BENCH = service_account("chat-benchmark")

FIRST_TOKEN_MS = 200


class NullRetriever:
    """No retrieval at all: isolates what the chat itself adds to the model's time to first token."""

    version = "none"
    index = None  # nothing to widen: no sources are ever found

    def __init__(self, settings):
        self.settings = settings
        self.embedder = self

    def embed_query(self, query: str) -> np.ndarray:
        return np.zeros(384, dtype=np.float32)

    def search(self, query: str, **kwargs) -> list:
        return []


class SlowStore(ChatStore):
    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name in ("record_question", "transition", "checkpoint", "finalize", "update_fields"):
            def slow(*args, **kwargs):
                time.sleep(0.5)
                return attr(*args, **kwargs)

            return slow
        return attr


def pct(values: list[float]) -> str:
    a = np.array(values)
    return f"p50 {np.percentile(a, 50):7.1f}  p95 {np.percentile(a, 95):7.1f}  max {a.max():7.1f} ms  (n={len(a)})"


async def ask(service: ChatService, question: str) -> tuple[str, list, float]:
    """One question from its own asker (the 50 concurrent streams are 50 people, each within their limit)."""
    asker = service_account(f"asker-{uuid.uuid4().hex[:8]}")
    began = time.perf_counter()
    message_id = await asyncio.to_thread(service.start, asker, question)
    events = [e async for e in service.stream(asker, message_id)]
    return message_id, events, (time.perf_counter() - began) * 1000


def overheads(service: ChatService, server: FakeLLMServer, run: str, questions: list[str]) -> list[float]:
    """Our TTFT minus the server's own (request received → first token sent), per question."""
    ours = []
    for q in questions:
        _, events, _ = asyncio.run(ask(service, q))
        assert events[-1].kind == "final", events[-1]
        ours.append(events[-1].metrics["ttft_ms"])
    theirs = [(r["first_token_at"] - r["started_at"]) * 1000 for r in server.requests(run=run)]
    return [o - t for o, t in zip(ours, theirs[-len(ours):])]


def build_index(args, settings, ws, tmp: Path) -> Retriever:
    index = open_index(settings, ws.embedder.dim, name="chatbench", data_dir=tmp)
    docs = beir.load_corpus(args.data / "corpus.jsonl")[: args.base_docs]
    beir.build_index(docs, settings, index, ws.embedder)
    real = index.to_arrow()
    chunks = [Chunk(**{k: real[k][i].as_py() for k in Chunk.__dataclass_fields__}) for i in range(real.num_rows)]
    vectors = np.stack(real["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
    for batch, vs in grow(chunks, vectors, args.chunks, np.random.default_rng(0)):
        index.upsert(batch, vs)
    index.refresh()
    print(f"index: {index.count():,} chunks ({real.num_rows:,} real, from {len(docs):,} SciFact abstracts)")
    return Retriever(index, ws.embedder, settings.retrieval, version="chatbench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/scifact-dev"))
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--base-docs", type=int, default=1000, help="real abstracts embedded before growing the index")
    ap.add_argument("--asks", type=int, default=100)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="docent-chatbench-"))
    base = load_settings()
    ws = Workspace(base)
    queries = list(beir.load_queries(args.data / "queries.jsonl").values())
    try:
        retriever = build_index(args, base, ws, tmp)
        with FakeLLMServer() as server:
            def service(model: str, retriever=retriever, store=None, cache=None) -> ChatService:
                chat = base.chat.model_copy(update={"model": model, "api_base": server.base_url, "api_key": "fake"})
                settings = base.model_copy(update={"chat": chat, "data_dir": tmp})
                return ChatService(
                    settings, store or ChatStore(f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"), retriever,
                    lambda texts: ws.embedder.encode(texts, ws.embedder.model), lambda ids: dict.fromkeys(ids, "unchanged"), cache,
                )

            def scripted(**script) -> tuple[str, str]:
                run = uuid.uuid4().hex[:8]
                return fake_model(run=run, first_token_ms=FIRST_TOKEN_MS, **script), run

            model, run = scripted(tokens=20)
            plain = service(model, retriever=NullRetriever(base.retrieval))
            overheads(plain, server, run, queries[:5])  # warm-up: imports, connection pool
            print(f"TTFT overhead, no retrieval:           {pct(overheads(plain, server, run, queries[: args.asks]))}")
            model, run = scripted(tokens=20)
            full = service(model)
            overheads(full, server, run, queries[:5])
            with_retrieval = overheads(full, server, run, queries[5 : 5 + args.asks])
            print(f"TTFT overhead, hybrid over {args.chunks:,}:   {pct(with_retrieval)}")

            model, run = scripted(tokens=50, token_ms=10)
            many = service(model)
            began = time.perf_counter()

            async def concurrent():
                return await asyncio.gather(*(ask(many, q) for q in queries[200:250]))

            results = asyncio.run(concurrent())
            wall = time.perf_counter() - began
            ok, mixed = 0, 0
            for _, events, _ in results:
                tokens = [e.text for e in events if e.kind == "token"]
                tags = {t.strip().split("-", 1)[1] for t in tokens}
                ok += events[-1].kind == "final" and len(tokens) == 50
                mixed += len(tags) != 1
            tags = {[e.text for e in ev if e.kind == "token"][0].split("-", 1)[1] for _, ev, _ in results}
            print(f"50 concurrent streams: {ok} completed, {mixed} mixed, {len(tags)} distinct replies, "
                  f"{wall:.2f} s wall, {50 * 50 / wall:,.0f} tokens/s, {50 / wall:.1f} answers/s")

            model, run = scripted(tokens=20)
            normal, slow = service(model), service(model, store=SlowStore(f"sqlite:///{tmp / 'slow.db'}"))
            ttft = {}
            for name, svc in (("normal", normal), ("slow", slow)):
                ttft[name] = [asyncio.run(ask(svc, q))[1][-1].metrics["ttft_ms"] for q in queries[300:330]]
            print(f"TTFT normal store:                     {pct(ttft['normal'])}")
            print(f"TTFT every write +500 ms:              {pct(ttft['slow'])}")
            print(f"  difference of medians: {statistics.median(ttft['slow']) - statistics.median(ttft['normal']):+.1f} ms "
                  f"(finalizer backlog {slow.finalizer.backlog} writes, drained in the background)")

            model, run = scripted(tokens=1000, token_ms=20)
            cancelling = service(model)
            delays = []
            for q in queries[400:420]:
                async def cancel_after_five(q=q):
                    message_id = await asyncio.to_thread(cancelling.start, BENCH, q)
                    n, at = 0, None
                    async for e in cancelling.stream(BENCH, message_id):
                        n += e.kind == "token"
                        if n == 5 and at is None:
                            at = time.time()
                            threading.Thread(target=cancelling.cancel, args=(BENCH, message_id)).start()
                    return at

                cancelled_at = asyncio.run(cancel_after_five())
                time.sleep(0.3)
                delays.append((server.requests(run=run)[-1]["disconnected_at"] - cancelled_at) * 1000)
            print(f"cancel → server sees the connection closed: {pct(delays)}")

            model, run = scripted(text="The answer is in the first source [1].")
            cached = service(model, cache=SQLiteAnswerCache(tmp / "answers.sqlite", ttl_s=3600))
            _, events, _ = asyncio.run(ask(cached, queries[500]))
            cached.finalizer.flush(30)
            hits = [asyncio.run(ask(cached, queries[500])) for _ in range(50)]
            assert all(ev[-1].cache_hit for _, ev, _ in hits)
            print(f"cache hit, stream() to final event:    {pct([ev[-1].metrics['total_ms'] for _, ev, _ in hits])}")
            print(f"cache hit, start() + stream():         {pct([ms for _, _, ms in hits])}")
            for svc in (plain, full, many, normal, slow, cancelling, cached):
                svc.close(120)
    finally:
        ws.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
