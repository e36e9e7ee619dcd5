"""Synchronous callers (Streamlit) iterate the same stream; leaving early cancels the answer."""

from __future__ import annotations

import pytest

from docent.chat.sync import iter_events
from tests.principals import ASKER

pytestmark = pytest.mark.slow


def test_a_sync_caller_gets_every_event(make_service):
    service = make_service()
    message_id = service.start(ASKER, "What is the hotel cap in New York?")
    events = list(iter_events(service, ASKER, message_id))
    assert events[0].kind == "sources" and events[-1].kind == "final" and events[-1].state == "completed"


def test_leaving_early_cancels_the_answer_server_side(make_service):
    from docent.devtools.scripted_llm import register_scripted

    register_scripted().enqueue([f"t{i} " for i in range(500)], token_s=0.01)
    service = make_service(model="scripted/x")
    message_id = service.start(ASKER, "Who leads the Lyon lab?")
    for event in iter_events(service, ASKER, message_id):
        if event.kind == "token" and event.text == "t3 ":
            break
    assert service.finalizer.flush(30)
    record = service.store.get_message(message_id)
    assert record.state == "cancelled" and record.content.startswith("t0 t1 t2 t3")
