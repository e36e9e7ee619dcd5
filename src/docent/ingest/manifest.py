"""The manifest: what is indexed, from which bytes, under which configuration.

It is what keeps the index exactly in sync with its sources: a document is re-processed only when
its bytes or the index fingerprint change, and a source that disappears takes its chunks with it.
The record is written only after the document's chunks are in the index, so a crash in between
means the document is simply processed again (chunk ids are deterministic: no duplicates).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa

from docent.store.db import engine_for, metadata, upsert
from docent.store.locks import exclusive

log = logging.getLogger("docent.ingest")

documents = sa.Table(
    "manifest",
    metadata,
    sa.Column("version", sa.String(32), primary_key=True),  # the index version (fingerprint)
    sa.Column("doc_id", sa.String(36), primary_key=True),
    sa.Column("source_uri", sa.Text, nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # indexed | quarantined
    sa.Column("stage", sa.String(16)),  # where a quarantined document failed: read | parse | chunk | embed | index
    sa.Column("error", sa.Text),
    sa.Column("chunks", sa.Integer, nullable=False, default=0),
    sa.Column("pages", sa.Integer),  # PDFs and pictures
    sa.Column("ocr_pages", sa.Integer),  # pages read by OCR
    sa.Column("ocr_confidence", sa.Float),  # their mean word confidence, 0-100
    sa.Column("notes", sa.Text),  # pages that gave nothing or read poorly, one per line
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    source_uri: str
    content_hash: str
    size: int
    mtime: float
    status: str
    error: str | None = None
    chunks: int = 0
    stage: str | None = None
    pages: int | None = None
    ocr_pages: int | None = None
    ocr_confidence: float | None = None
    notes: str | None = None
    updated_at: datetime | None = field(default=None, compare=False)  # set by the store


class Manifest:
    """The records of one index version: each version keeps its own, so blue-green builds never mix."""

    def __init__(self, url: str, version: str):
        self._engine = engine_for(url)
        self.version = version

    def _select(self, *where) -> dict[str, DocumentRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(documents).where(documents.c.version == self.version, *where)).mappings().all()
        fields = DocumentRecord.__dataclass_fields__
        return {r["doc_id"]: DocumentRecord(**{f: r[f] for f in fields}) for r in rows}

    def writing(self, timeout_s: float) -> contextlib.AbstractContextManager[None]:
        """The right to write this version's index and records: one writer at a time, across
        processes (two ingests of one folder would otherwise both add its chunks)."""

        def waiting(holder: str) -> None:
            log.warning("another ingestion (%s) is writing index version %s: waiting for it (up to %g s)",
                        holder, self.version, timeout_s)

        return exclusive(self._engine, f"write-{self.version}", timeout_s, waiting)

    def all(self) -> dict[str, DocumentRecord]:
        """Every record of this version, by doc_id."""
        return self._select()

    def get_many(self, doc_ids: list[str]) -> dict[str, DocumentRecord]:
        found: dict[str, DocumentRecord] = {}
        for i in range(0, len(doc_ids), 500):
            found.update(self._select(documents.c.doc_id.in_(doc_ids[i : i + 500])))
        return found

    def save(self, records: list[DocumentRecord]) -> None:
        stamp = datetime.now(timezone.utc)
        rows = [{**asdict(r), "version": self.version, "updated_at": stamp} for r in records]
        upsert(self._engine, documents, rows, ("version", "doc_id"))

    def delete(self, doc_ids: list[str]) -> None:
        with self._engine.begin() as conn:
            for i in range(0, len(doc_ids), 500):
                part = doc_ids[i : i + 500]
                conn.execute(sa.delete(documents).where(documents.c.version == self.version, documents.c.doc_id.in_(part)))
