"""Bring a database to the latest schema, programmatically, safely from several processes at once.

Every engine is upgraded when first made (:func:`docent.store.db.engine_for`), so the fast path matters:
one read of ``alembic_version``. Only when it lags does a process take the "migrate" lock
(:func:`docent.store.locks.exclusive`) and let Alembic apply what is still missing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from docent.store.locks import exclusive

log = logging.getLogger("docent.store.migrate")

SCRIPTS = Path(__file__).with_name("migrations")
LOCK_WAIT_S = 300.0  # another process's migration: they are quick


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision shipped with this code (read once per process)."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: sa.Engine) -> str | None:
    """The revision the database is at; None when it was never migrated (empty, or made before migrations)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Apply the missing migrations; a no-op (one query) when the database is already at head."""
    if current(engine) == head():
        return
    with exclusive(engine, "migrate", LOCK_WAIT_S), engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        if before == head():  # another process got there while we waited for the lock
            return
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        log.info("database schema upgraded from %s to %s", before or "nothing", head())
