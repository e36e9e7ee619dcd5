"""The manifest: what is indexed, from which bytes, under which configuration.

It is what keeps the index exactly in sync with its sources: a document is re-processed only when
its bytes or the index fingerprint change, and a source that disappears takes its chunks with it.
The record is written only after the document's chunks are in the index, so a crash in between
means the document is simply processed again (chunk ids are deterministic: no duplicates).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from docent.store.db import engine_for, metadata, upsert

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("doc_id", sa.String(36), primary_key=True),
    sa.Column("source_uri", sa.Text, nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime", sa.Float, nullable=False),
    sa.Column("fingerprint", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # indexed | quarantined
    sa.Column("error", sa.Text),
    sa.Column("chunks", sa.Integer, nullable=False, default=0),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    source_uri: str
    content_hash: str
    size: int
    mtime: float
    fingerprint: str
    status: str
    error: str | None = None
    chunks: int = 0


class Manifest:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def all(self) -> dict[str, DocumentRecord]:
        """Every record, by doc_id."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(documents)).mappings().all()
        fields = DocumentRecord.__dataclass_fields__
        return {r["doc_id"]: DocumentRecord(**{f: r[f] for f in fields}) for r in rows}

    def save(self, records: list[DocumentRecord]) -> None:
        now = datetime.now(timezone.utc)
        upsert(self._engine, documents, [{**asdict(r), "updated_at": now} for r in records], "doc_id")

    def delete(self, doc_ids: list[str]) -> None:
        with self._engine.begin() as conn:
            for i in range(0, len(doc_ids), 500):
                conn.execute(sa.delete(documents).where(documents.c.doc_id.in_(doc_ids[i : i + 500])))
