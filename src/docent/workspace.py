"""The components of one Docent installation, built from settings on first use.

The CLI, the Dagster assets and the app all go through this object, so they share one code
path and one loaded embedding model per process. Ingestion writes the *configured* index
version; search reads the *live* one (see :mod:`docent.index.versions`), re-checking the alias
at most every ``ALIAS_TTL_S`` seconds so a promotion reaches running processes at once.
"""

from __future__ import annotations

import threading
import time
from functools import cached_property
from pathlib import Path

from docent.alerts import Alerts, WebhookSink
from docent.cache import open_cache
from docent.embed import Embedder
from docent.index import VectorIndex, open_index, table_name
from docent.index.base import SearchHit
from docent.index.versions import IndexVersion, IndexVersions
from docent.ingest.batches import BatchStore
from docent.ingest.manifest import Manifest
from docent.ingest.pipeline import Ingestor, IngestReport
from docent.retrieve import Retriever
from docent.settings import Settings

ALIAS_TTL_S = 1.0


class Workspace:
    def __init__(self, settings: Settings, models_dir: Path | None = None):
        self.settings = settings
        self.models_dir = models_dir
        self._readers: dict[str, Retriever] = {}
        self._lock = threading.Lock()

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder(self.settings)

    def _embedder(self, settings: Settings) -> Embedder:
        cache = open_cache(settings.data_dir, settings.cache.redis_url)
        return Embedder(settings.embedding, settings.data_dir, cache, models_dir=self.models_dir)

    @cached_property
    def versions(self) -> IndexVersions:
        return IndexVersions(self.settings.state_url)

    @cached_property
    def version(self) -> str:
        """The configured index version, the one ingestion builds (registered on first use)."""
        return self.versions.register(self.settings, table_name(self.settings))

    @cached_property
    def index(self) -> VectorIndex:
        """The configured version's index (the one ingestion writes)."""
        return open_index(self.settings, self.embedder.dim, name=self.versions.get(self.version).name)

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(self.settings.state_url, self.version)

    @cached_property
    def batches(self) -> BatchStore:
        return BatchStore(self.settings.state_url)

    @cached_property
    def alerts(self) -> Alerts:
        hook = self.settings.alerts.webhook_url
        sinks = [WebhookSink(hook.get_secret_value())] if hook else []
        return Alerts(self.settings.state_url, sinks, cooldown_s=self.settings.alerts.cooldown_s)

    @cached_property
    def retriever(self) -> LiveRetriever:
        return LiveRetriever(self)

    @cached_property
    def chat(self):
        """The chat service over the live index (one per process: it owns the background writer)."""
        from docent.chat.service import ChatService

        return ChatService.from_workspace(self)

    def ingestor(self) -> Ingestor:
        return Ingestor(self.settings, self.index, self.embedder, self.manifest, self.versions)

    def ingest(self, root: str, **kwargs) -> IngestReport:
        return self.ingestor().run(root, **kwargs)

    def reader(self, version: IndexVersion) -> Retriever:
        """A retriever over ``version``, embedding queries with that version's own model."""
        with self._lock:
            if version.version not in self._readers:
                if version.version == self.version:
                    index, embedder = self.index, self.embedder
                else:
                    settings = version.settings(self.settings)
                    same_model = settings.embedding == self.settings.embedding
                    embedder = self.embedder if same_model else self._embedder(settings)
                    index = open_index(settings, embedder.dim, name=version.name)
                self._readers[version.version] = Retriever(index, embedder, self.settings.retrieval, version.version)
            return self._readers[version.version]

    def close(self) -> None:
        for r in self._readers.values():
            r.index.close()
        if "index" in self.__dict__:
            self.index.close()


class LiveRetriever:
    """Searches whichever version is live now (the configured one until a version goes live)."""

    def __init__(self, ws: Workspace):
        self._ws = ws
        self._checked = 0.0
        self._current: Retriever | None = None

    def current(self) -> Retriever:
        if self._current is None or time.monotonic() - self._checked > ALIAS_TTL_S:
            live = self._ws.versions.live() or self._ws.versions.get(self._ws.version)
            self._current = self._ws.reader(live)
            self._checked = time.monotonic()
        return self._current

    @property
    def index(self) -> VectorIndex:
        return self.current().index

    def search(self, query: str, **kwargs) -> list[SearchHit]:
        return self.current().search(query, **kwargs)
