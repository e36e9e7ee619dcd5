"""Chat fixtures: services over the sample workspace (``acme_ws``, tests/conftest.py), each with a fresh state store."""

from __future__ import annotations

import asyncio

import pytest

from tests.principals import ASKER


@pytest.fixture
def make_service(acme_ws, tmp_path):
    """Build a ChatService over the sample index with chat settings overridden and its own state store."""
    from docent.chat.service import ChatService
    from docent.review.queue import ReviewQueue
    from docent.store.chat import ChatStore

    services = []

    def make(ws=None, store=None, answer_cache=None, review=None, **chat):
        ws = ws or acme_ws
        update = {"chat": ws.settings.chat.model_copy(update=chat)}
        if review:
            update["review"] = ws.settings.review.model_copy(update=review)
        settings = ws.settings.model_copy(update=update)
        store = store or ChatStore(f"sqlite:///{tmp_path / f'state{len(services)}.db'}")
        service = ChatService.from_workspace(
            ws, settings, store=store, answer_cache=answer_cache, review_queue=ReviewQueue(store.url)
        )
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


def collect(service, question: str, conversation_id: str | None = None, filters: dict | None = None, on_event=None,
            principal=ASKER):
    """Ask (as ``principal``) and gather every event (sync helper for tests)."""

    async def run():
        message_id = service.start(principal, question, conversation_id, filters)
        events = []
        async for event in service.stream(principal, message_id):
            events.append(event)
            if on_event:
                on_event(event, message_id)
        return message_id, events

    return asyncio.run(run())
