"""Golden sets: reviewed questions with reference answers, the ground truth evaluation runs compare against.

Every reviewer decision lands here (in the same transaction as the decision): an approval as a positive
item, a rejection as a negative one. A question is in a set at most once per kind, so approving it again
replaces its reference; each change bumps the set's version, so an evaluation can say which it used.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from docent.store import models as m
from docent.store.db import engine_for, insert_for
from docent.store.records import columns_of, utc_now

KINDS = ("positive", "negative")


@dataclass(frozen=True)
class GoldenItem:
    id: int
    set_name: str
    added_in_version: int
    kind: str
    question: str
    reference_answer: str
    reference_chunk_ids: list
    provenance: dict
    reason: str | None
    created_at: datetime

    def export_row(self) -> dict[str, Any]:
        """The JSONL object for evaluation tools."""
        row = {k: v for k, v in asdict(self).items() if k not in ("set_name", "added_in_version", "created_at")}
        return {**row, "version": self.added_in_version}


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose {' or '.join(KINDS)}")


class GoldenSets:
    def __init__(self, url: str):
        self._engine = engine_for(url)

    def add(
        self,
        *,
        set_name: str,
        kind: str,
        question: str,
        reference_answer: str,
        reference_chunk_ids: list[str],
        provenance: dict[str, Any],
        reason: str | None = None,
        session: Session | None = None,
    ) -> GoldenItem:
        """Add (or replace, by question and kind) one item and bump the set's version.

        Pass ``session`` to make it part of the caller's transaction (a review decision); without it the
        item is written in a transaction of its own.
        """
        _check_kind(kind)
        if session is None:
            with Session(self._engine) as s, s.begin():
                return self.add(set_name=set_name, kind=kind, question=question, reference_answer=reference_answer,
                                reference_chunk_ids=reference_chunk_ids, provenance=provenance, reason=reason, session=s)
        now = utc_now()
        insert = insert_for(session.get_bind().dialect.name)
        session.execute(insert(m.GoldenSet).values(name=set_name, version=0, updated_at=now).on_conflict_do_nothing())
        # The set's row is locked from here to the commit, so concurrent additions take distinct versions.
        version = session.scalar(
            sa.update(m.GoldenSet).where(m.GoldenSet.name == set_name)
            .values(version=m.GoldenSet.version + 1, updated_at=now).returning(m.GoldenSet.version)
        )
        values = dict(added_in_version=version, reference_answer=reference_answer, reference_chunk_ids=reference_chunk_ids,
                      provenance=provenance, reason=reason, created_at=now)
        stmt = insert(m.GoldenItem).values(set_name=set_name, kind=kind, question=question, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["set_name", "question", "kind"], set_=values)
        item_id = session.scalar(stmt.returning(m.GoldenItem.id))
        row = session.get(m.GoldenItem, item_id, populate_existing=True)
        return GoldenItem(**columns_of(row))

    def items(self, set_name: str = "default", kind: str | None = None) -> list[GoldenItem]:
        """The set's items, oldest first."""
        _check_kind(kind)
        stmt = sa.select(m.GoldenItem).where(m.GoldenItem.set_name == set_name).order_by(m.GoldenItem.id)
        if kind is not None:
            stmt = stmt.where(m.GoldenItem.kind == kind)
        with Session(self._engine) as s:
            return [GoldenItem(**columns_of(r)) for r in s.scalars(stmt)]

    def version(self, set_name: str = "default") -> int:
        """The set's version; 0 when it has no items yet."""
        with Session(self._engine) as s:
            return s.scalar(sa.select(m.GoldenSet.version).where(m.GoldenSet.name == set_name)) or 0

    def export(self, path: Path, set_name: str = "default", kind: str = "positive") -> int:
        """Write the set's items of ``kind`` as JSONL (one object per line, oldest first); returns how many."""
        rows = [item.export_row() for item in self.items(set_name, kind)]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a file
        return len(rows)
