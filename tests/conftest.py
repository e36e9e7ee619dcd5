"""Shared fixtures. Tests never reach the internet: a guard refuses any non-loopback connection."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

for key, value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "RAGAS_DO_NOT_TRACK": "true",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "TOKENIZERS_PARALLELISM": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(key, value)

POSTGRES_URL = os.environ.get("DOCENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("DOCENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
_ALLOWED_HOSTS = {"localhost", urlparse(os.environ.get("WEAVIATE_URL", "")).hostname}

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if host is not None and host not in _ALLOWED_HOSTS:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = False
        if not allowed:
            raise ConnectionRefusedError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def acme_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """samples/acme ingested once with the CLI (real parser, MiniLM on torch), plus a reviewer, an analyst and an
    admin: the browser and API servers each start on their own copy (``clone_data``), which costs a second, not
    the ~40 s of an ingest."""
    from tests.e2e.conftest import prepare_data

    return prepare_data(tmp_path_factory.mktemp("acme"))


@pytest.fixture
def settings(tmp_path: Path):
    """Embedded settings in a fresh data directory, torch backend (no export step)."""
    from docent.settings import load_settings

    return load_settings(data_dir=tmp_path / "data", embedding={"backend": "torch", "batch_size": 32})


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    """The real MiniLM on the torch backend, loaded once for the session (no cache)."""
    from docent.embed import Embedder
    from docent.settings import EmbeddingSettings

    return Embedder(EmbeddingSettings(backend="torch", batch_size=32), tmp_path_factory.mktemp("emb"))


@pytest.fixture(scope="session")
def fake_llm():
    """The fake OpenAI-compatible server as a real subprocess, shared by the session (tests tell runs apart by `run=`)."""
    from docent.devtools.fake_llm_server import FakeLLMServer

    with FakeLLMServer() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request, tmp_path):
    """An empty state store on each database: a SQLite file, or a Postgres schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    import sqlalchemy as sa

    from docent.store.db import engine_for

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = POSTGRES_URL + f"?options=-csearch_path%3D{schema}"
    yield url
    engine_for(url).dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "acme"


@pytest.fixture(scope="session")
def acme_ws(tmp_path_factory):
    """The sample corpus ingested once (real parser, real MiniLM on torch, LanceDB)."""
    from docent.settings import load_settings
    from docent.workspace import Workspace

    root = tmp_path_factory.mktemp("acme")
    shutil.copytree(SAMPLES, root / "docs")
    ws = Workspace(load_settings(data_dir=root / "data", embedding={"backend": "torch", "batch_size": 32}))
    report = ws.ingest(str(root / "docs"))
    assert len(report.new) >= 8 and not report.quarantined, report
    yield ws
    ws.close()
