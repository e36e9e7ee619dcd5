"""Batches of documents waiting for (or processed by) one orchestrated ingestion run.

The sensor decides what to process and records it here, so a run (or a retry of it) works on
exactly the files the sensor saw, and the run's partition key stays a short id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from docent.ingest.sources import SourceFile
from docent.store.db import engine_for, metadata

batches = sa.Table(
    "ingest_batches",
    metadata,
    sa.Column("batch_id", sa.String(40), primary_key=True),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("root", sa.Text, nullable=False),
    sa.Column("files", sa.JSON, nullable=False),  # [[uri, size, mtime], ...]
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Batch:
    batch_id: str
    version: str
    root: str
    files: list[SourceFile]


class BatchStore:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def create(self, version: str, root: str, files: list[SourceFile]) -> Batch:
        stamp = datetime.now(timezone.utc)
        batch_id = f"{stamp:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
        rows = [[f.uri, f.size, f.mtime, f.target] for f in files]
        with self._engine.begin() as conn:
            conn.execute(batches.insert().values(batch_id=batch_id, version=version, root=root, files=rows, created_at=stamp))
        return Batch(batch_id, version, root, list(files))

    def get(self, batch_id: str) -> Batch:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(batches).where(batches.c.batch_id == batch_id)).mappings().first()
        if row is None:
            raise KeyError(f"no ingestion batch {batch_id!r}")
        files = [SourceFile(uri, int(size), float(mtime), target=rest[0] if rest else "")
                 for uri, size, mtime, *rest in row["files"]]  # batches made before targets have three fields
        return Batch(row["batch_id"], row["version"], row["root"], files)
