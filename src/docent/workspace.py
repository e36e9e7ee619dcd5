"""The components of one Docent installation, built from settings on first use.

The CLI, the Dagster assets and the app all go through this object, so they share one code
path and one loaded embedding model per process.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from docent.cache import open_cache
from docent.embed import Embedder
from docent.index import VectorIndex, open_index
from docent.ingest.manifest import Manifest
from docent.ingest.pipeline import IngestReport, Ingestor
from docent.retrieve import Retriever
from docent.settings import Settings


class Workspace:
    def __init__(self, settings: Settings, models_dir: Path | None = None):
        self.settings = settings
        self.models_dir = models_dir

    @cached_property
    def embedder(self) -> Embedder:
        cache = open_cache(self.settings.data_dir, self.settings.cache.redis_url)
        return Embedder(self.settings.embedding, self.settings.data_dir, cache, models_dir=self.models_dir)

    @cached_property
    def index(self) -> VectorIndex:
        return open_index(self.settings, self.embedder.dim)

    @cached_property
    def manifest(self) -> Manifest:
        return Manifest(self.settings.state_url)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder, self.settings.retrieval)

    def ingest(self, root: str, **kwargs) -> IngestReport:
        return Ingestor(self.settings, self.index, self.embedder, self.manifest).run(root, **kwargs)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
