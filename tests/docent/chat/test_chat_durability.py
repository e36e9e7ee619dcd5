"""State survives crashes and slow stores: interrupted answers are recovered, tokens never wait on writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from docent.devtools.fake_llm_server import fake_model
from docent.store.chat import ChatStore
from tests.docent.chat.conftest import collect
from tests.principals import ASKER

pytestmark = pytest.mark.slow

CRASHING_CLIENT = """
import asyncio, os, signal, sys
from docent.access import service_account
from docent.chat.service import ChatService
from docent.settings import load_settings
from docent.store.chat import ChatStore
from docent.workspace import Workspace

data_dir, model, api_base, state_url = sys.argv[1:5]
ws = Workspace(load_settings(data_dir=data_dir, embedding={"backend": "torch"}))
chat = ws.settings.chat.model_copy(update={"model": model, "api_base": api_base, "api_key": "fake"})
service = ChatService.from_workspace(ws, ws.settings.model_copy(update={"chat": chat}), store=ChatStore(state_url))
ASKER = service_account("crashing-client")

async def main():
    message_id = service.start(ASKER, "Who leads the Lyon lab?")
    print(message_id, flush=True)
    tokens = 0
    async for event in service.stream(ASKER, message_id):
        tokens += event.kind == "token"
        if tokens == 40:  # two seconds in: at least one checkpoint of the partial text has been written
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGKILL)

import time
asyncio.run(main())
"""


def test_an_answer_interrupted_by_a_crash_is_marked_failed_with_its_partial_text(acme_ws, make_service, fake_llm, tmp_path):
    state_url = f"sqlite:///{tmp_path / 'crash.db'}"
    model = fake_model(tokens=200, token_ms=50, run=uuid.uuid4().hex[:8])
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_CLIENT, str(acme_ws.settings.data_dir), model, fake_llm.base_url, state_url],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == -9, proc.stderr
    message_id = proc.stdout.split()[0]
    store = ChatStore(state_url)
    assert store.get_message(message_id).state == "streaming"

    env = {**os.environ, "DOCENT_DATA_DIR": str(acme_ws.settings.data_dir), "DOCENT_STATE__URL": state_url,
           "DOCENT_EMBEDDING__BACKEND": "torch"}
    stats = subprocess.run([sys.executable, "-m", "docent.cli", "stats", "--json"], capture_output=True, text=True,
                           env=env, timeout=120)  # the next process to touch the store: not a chat service
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["states"] == {"failed": 1}
    record = store.get_message(message_id)
    assert record.state == "failed" and record.error_code == "interrupted"
    assert record.content.startswith("w0-") and record.content.count("-") >= 15, record.content


class SlowStore(ChatStore):
    """Every write takes half a second longer (a store under load, far away, or failing over)."""

    DELAY_S = 0.5

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name in ("record_question", "transition", "checkpoint", "finalize", "update_fields"):
            def slow(*args, **kwargs):
                time.sleep(SlowStore.DELAY_S)
                return attr(*args, **kwargs)

            return slow
        return attr


def test_tokens_do_not_wait_on_a_slow_store(make_service, fake_llm, tmp_path):
    model = fake_model(tokens=30, token_ms=5, run=uuid.uuid4().hex[:8])
    fast = make_service(model=model, api_base=fake_llm.base_url, api_key="fake")
    slow = make_service(model=model, api_base=fake_llm.base_url, api_key="fake", store=SlowStore(f"sqlite:///{tmp_path / 'slow.db'}"))
    ttft = {}
    for name, service in (("fast", fast), ("slow", slow)):
        collect(service, "Who leads the Lyon lab?")  # warm up
        runs = [collect(service, "Who leads the Lyon lab?")[1][-1].metrics["ttft_ms"] for _ in range(3)]
        ttft[name] = sorted(runs)[1]
    assert ttft["slow"] < ttft["fast"] + 200, ttft  # a write on the critical path would add 500 ms
    assert slow.finalizer.flush(60)
    assert slow.store.list_conversations({ASKER.id})
