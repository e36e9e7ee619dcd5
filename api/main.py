"""The HTTP API's application: ``uvicorn --factory api.main:create_app`` (what ``docent serve`` runs).

One workspace (live index, embedding model, chat service) per process, opened at startup. OpenAPI at
``/openapi.json``, docs at ``/docs``. Every refusal is ``{"error": {"code", "message"}}`` (api/errors.py).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors, messages, openai_compat, search
from api.relay import Relays
from docent.review.api_keys import ApiKeys
from docent.settings import load_settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    from docent.workspace import Workspace

    ws = Workspace(load_settings())
    ws.chat.warm_up()
    app.state.keys, app.state.chat, app.state.retriever = ApiKeys(ws.settings.state_url), ws.chat, ws.retriever
    app.state.relays = Relays(ws.settings.api.disconnect_grace_s, ws.settings.api.replay_s)
    try:
        yield
    finally:
        ws.chat.finalizer.flush(30)
        ws.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Docent", version="1", lifespan=lifespan,
                  description="Ask your documents, with citations. Authenticate with `Authorization: Bearer <API key>`.")
    errors.install(app)
    app.include_router(messages.router)
    app.include_router(openai_compat.router)
    app.include_router(search.router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok"}

    return app
