"""The HTTP API's application: ``uvicorn --factory api.main:create_app`` (what ``docent serve`` runs).

One workspace (live index, embedding model, chat service) per process, opened at startup. OpenAPI at
``/openapi.json``, docs at ``/docs``. Every refusal is ``{"error": {"code", "message"}}`` (api/errors.py).
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import documents, errors, evaluation, messages, openai_compat, review, search, usage
from api.limits import BodyLimit, RateLimits
from api.relay import Relays
from docent.ingest.uploads import max_upload_bytes
from docent.review.api_keys import ApiKeys
from docent.review.oidc import AccessTokens
from docent.settings import load_settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    from docent.workspace import Workspace

    ws = Workspace(app.state.settings)
    app.state.rate_limits = RateLimits(ws.settings.api.rate_limit, ws.settings.cache.redis_url)
    ws.chat.warm_up()
    app.state.keys, app.state.chat, app.state.retriever = ApiKeys(ws.settings.state_url), ws.chat, ws.retriever
    app.state.versions = ws.versions
    app.state.relays = Relays(ws.settings.api.disconnect_grace_s, ws.settings.api.replay_s)
    app.state.oidc = AccessTokens.configured(ws.settings.api, ws.settings.state_url)  # None: API keys only
    try:
        yield
    finally:
        ws.chat.finalizer.flush(30)
        ws.close()


def create_app() -> FastAPI:
    settings = load_settings()
    app = FastAPI(title="Docent", version="1", lifespan=lifespan,
                  description="Ask your documents, with citations. Authenticate with `Authorization: Bearer <API key>` "
                  "or, when the server sets `api.oidc_issuer`, an OpenID Connect access token.")
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=int(settings.api.max_body_mb * 2**20),
                       upload_bytes=max_upload_bytes(settings))
    if settings.api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.api.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"])
    app.include_router(messages.router)
    app.include_router(openai_compat.router)
    app.include_router(search.router)
    for routes in (review, documents, evaluation, usage):
        app.include_router(routes.router)

    @app.get("/health", include_in_schema=False)
    def health() -> dict:
        return {"status": "ok"}

    return app
