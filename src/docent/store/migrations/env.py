"""Alembic's entry point: migrations always run on a connection handed over by :func:`docent.store.migrate.upgrade`.

There is no alembic.ini and no URL here; the caller owns the connection, its transaction and its lock.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through docent.store.migrate.upgrade(engine), which passes a connection")

context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
