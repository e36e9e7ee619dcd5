"""Migrations match the models, adopt databases made before them, and survive being run twice or at once."""

from __future__ import annotations

import importlib
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import docent
from docent.store import migrate
from docent.store.db import metadata
from tests.concurrency import all_at_once
from tests.conftest import POSTGRES_URL

CHAT_TABLES = {"conversations", "messages", "traces", "retrievals"}


def _import_every_table_module() -> None:
    """Every module that defines a table, found by reading the sources, so a new one cannot be missed."""
    root = Path(docent.__file__).parent
    for path in root.rglob("*.py"):
        if re.search(r"sa\.Table\(|\(Base\):", path.read_text(encoding="utf-8")):
            importlib.import_module(".".join(("docent", *path.relative_to(root).with_suffix("").parts)))


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    """A new, empty database: a SQLite file, or a Postgres database of its own (dropped afterwards)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    name = f"docent_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    request.addfinalizer(drop)
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def engine(url):
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def test_migrations_create_exactly_the_models(engine):
    _import_every_table_module()
    assert CHAT_TABLES | {"manifest", "ingest_batches", "index_versions", "index_aliases", "alerts"} <= set(metadata.tables)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == [], "the models changed without a migration (alembic autogenerate found differences)"
    assert migrate.current(engine) == migrate.head()


def test_a_database_made_before_migrations_is_adopted_with_its_rows(engine):
    from docent.ingest.manifest import documents

    now = datetime.now(timezone.utc)
    old = sa.MetaData()  # the alerts table as those processes made it, before incidents
    alerts = sa.Table("alerts", old, sa.Column("id", sa.Integer, primary_key=True), sa.Column("created_at", sa.DateTime(timezone=True)),
                      *(sa.Column(c, sa.Text) for c in ("kind", "severity", "source", "message")))
    metadata.create_all(engine, tables=[documents])  # an old process that only knew two tables
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(documents.insert().values(version="v1", doc_id="d1", source_uri="file:///a", content_hash="h",
                                               size=1, mtime=1.0, status="indexed", chunks=2, updated_at=now))
        conn.execute(alerts.insert().values(created_at=now, kind="k", severity="error", source="s", message="m"))
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert CHAT_TABLES | {"ingest_batches", "index_versions"} <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(sa.select(documents.c.doc_id, documents.c.chunks)).all() == [("d1", 2)]
        assert conn.scalar(sa.select(sa.func.count()).select_from(alerts)) == 1


def test_upgrading_twice_changes_nothing(engine, monkeypatch):
    migrate.upgrade(engine)
    tables = set(sa.inspect(engine).get_table_names())

    def refuse(*_args, **_kwargs):
        raise AssertionError("alembic ran again on a database already at head")

    monkeypatch.setattr(migrate.command, "upgrade", refuse)
    migrate.upgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) == tables
    assert migrate.current(engine) == migrate.head()


def test_processes_upgrading_at_once_do_not_collide(url):
    engines = [sa.create_engine(url) for _ in range(4)]
    all_at_once(migrate.upgrade, engines)
    assert migrate.current(engines[0]) == migrate.head()
    for e in engines:
        e.dispose()


def test_engine_for_migrates_on_first_use(tmp_path):
    from docent.store.db import engine_for

    engine = engine_for(f"sqlite:///{tmp_path / 'nested' / 'state.db'}")
    assert migrate.current(engine) == migrate.head()
    assert CHAT_TABLES <= set(sa.inspect(engine).get_table_names())
