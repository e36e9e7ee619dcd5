"""One engine per database URL, brought to the latest schema (Alembic migrations) when first made."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()


SQLITE_BUSY_S = 30.0


@lru_cache(maxsize=8)
def engine_for(url: str) -> sa.Engine:
    """A pooled, migrated engine.

    SQLite files get their folder created, WAL mode (readers never wait for the writer), ``synchronous=NORMAL``
    (WAL's recommended setting: a commit survives a crashed process; only a power cut may lose the last ones)
    and a writer waits up to ``SQLITE_BUSY_S`` for another: several API workers, the app and Dagster write at once.
    """
    sqlite = url.startswith("sqlite:///")
    if sqlite:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True, pool_pre_ping=True,
                              connect_args={"timeout": SQLITE_BUSY_S} if sqlite else {})
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _wal(conn, _record) -> None:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")

    from docent.store.migrate import upgrade  # Alembic takes ~0.4 s to import: only once a database is opened

    upgrade(engine)
    return engine


def insert_for(dialect: str):
    """The dialect's INSERT, which has ON CONFLICT (upserts) on both Postgres and SQLite."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert(engine: sa.Engine, table: sa.Table, rows: list[dict], key: str | tuple[str, ...]) -> None:
    """Insert or update rows by primary key (one column or several), in one statement per dialect."""
    if not rows:
        return
    stmt = insert_for(engine.dialect.name)(table)
    keys = (key,) if isinstance(key, str) else key
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    )
    with engine.begin() as conn:
        conn.execute(stmt, rows)
