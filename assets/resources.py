"""Resources: the settings, the source, the embedder, the index and the state store.

Each is a ``ConfigurableResource`` whose fields override the Docent settings (YAML/env), so a
test swaps any of them (a temporary data directory, the torch backend, another state store).
They resolve to one :class:`docent.workspace.Workspace` per process and configuration: the
embedding model is loaded once per run process, not once per asset.
"""


import json
from functools import lru_cache
from typing import Optional

import dagster as dg

from docent.ingest.uploads import sync_roots
from docent.settings import Settings, load_settings
from docent.workspace import Workspace


class SettingsResource(dg.ConfigurableResource):
    """Where the configuration comes from; None keeps the YAML/env value."""

    data_dir: Optional[str] = None


class SourceResource(dg.ConfigurableResource):
    """The folders or fsspec URLs to watch; empty means ``sync.sources`` from the settings."""

    roots: list[str] = []
    storage_options_json: str = "{}"  # e.g. '{"anon": true}' for a public bucket; secrets via the environment

    def storage_options(self) -> dict:
        return json.loads(self.storage_options_json)


class EmbedderResource(dg.ConfigurableResource):
    backend: Optional[str] = None  # openvino | torch | onnx
    batch_size: Optional[int] = None


class IndexResource(dg.ConfigurableResource):
    backend: Optional[str] = None  # lancedb | weaviate
    table: Optional[str] = None


class StateStoreResource(dg.ConfigurableResource):
    url: Optional[str] = None  # SQLAlchemy URL; default SQLite in the data directory


def _drop_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def settings_from(
    settings: SettingsResource, embedder: EmbedderResource, index: IndexResource, state: StateStoreResource
) -> Settings:
    """The YAML/env settings with the resources' non-empty fields laid over them."""
    overrides = {
        "data_dir": settings.data_dir,
        "embedding": _drop_none({"backend": embedder.backend, "batch_size": embedder.batch_size}),
        "index": _drop_none({"backend": index.backend, "table": index.table}),
        "state": _drop_none({"url": state.url}),
    }
    return load_settings(**{k: v for k, v in overrides.items() if v})


@lru_cache(maxsize=4)
def _workspace(settings_json: str) -> Workspace:
    return Workspace(Settings.model_validate_json(settings_json))


class DocentResource(dg.ConfigurableResource):
    """The four swappable parts together; ``workspace`` is what assets and sensors use."""

    settings: SettingsResource
    embedder: EmbedderResource
    index: IndexResource
    state: StateStoreResource

    @classmethod
    def build(
        cls,
        settings: SettingsResource | None = None,
        embedder: EmbedderResource | None = None,
        index: IndexResource | None = None,
        state: StateStoreResource | None = None,
    ) -> "DocentResource":
        """The resource with any part swapped (the rest follow the YAML/env settings)."""
        return cls(
            settings=settings or SettingsResource(), embedder=embedder or EmbedderResource(),
            index=index or IndexResource(), state=state or StateStoreResource(),
        )

    @property
    def workspace(self) -> Workspace:
        """One per process and configuration, so the embedding model is loaded once per run."""
        return _workspace(settings_from(self.settings, self.embedder, self.index, self.state).model_dump_json())


def roots_for(source: SourceResource, ws: Workspace) -> list[str]:
    """The resource's roots, else ``sync.sources``; and the API's upload folder once it exists."""
    return sync_roots(ws.settings, list(source.roots))
