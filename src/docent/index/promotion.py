"""Checks an index version must pass before it goes live, and the promotion itself.

The same checks back the Dagster asset check on the index (entries per document equal the
manifest's chunk counts) and ``docent index promote``. Later gates (the golden-set evaluation)
plug in as extra callables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docent.index.base import VectorIndex
from docent.index.versions import IndexVersion, VersionError
from docent.ingest.manifest import DocumentRecord, Manifest

if TYPE_CHECKING:
    from docent.workspace import Workspace

Gate = Callable[[IndexVersion], list[str]]  # returns problems; empty means pass


def count_mismatches(index: VectorIndex, records: Iterable[DocumentRecord]) -> dict[str, tuple[int, int]]:
    """doc_id -> (chunks the manifest expects, chunks the index holds), for every disagreement."""
    stored = index.chunk_counts()
    expected = {r.doc_id: r.chunks for r in records if r.status == "indexed"}
    return {
        d: (expected.get(d, 0), stored.get(d, 0))
        for d in expected.keys() | stored.keys()
        if expected.get(d, 0) != stored.get(d, 0)
    }


def promotion_problems(
    candidate: IndexVersion,
    index: VectorIndex,
    manifest: Manifest,
    live_manifest: Manifest | None,
    max_loss: float,
) -> list[str]:
    """Why ``candidate`` must not go live yet (empty when it may)."""
    if candidate.built_at is None:
        return [f"version {candidate.version} has not finished building"]
    records = manifest.all().values()
    indexed = sum(r.status == "indexed" for r in records)
    problems = []
    if indexed == 0:
        problems.append(f"version {candidate.version} holds no indexed documents")
    mismatches = count_mismatches(index, records)
    if mismatches:
        doc, (want, have) = next(iter(mismatches.items()))
        problems.append(f"{len(mismatches)} documents have wrong chunk counts in the index (e.g. {doc}: {have} stored, {want} expected)")
    if live_manifest is not None:
        live = sum(r.status == "indexed" for r in live_manifest.all().values())
        if indexed < (1 - max_loss) * live:
            problems.append(
                f"version {candidate.version} indexes {indexed} documents, the live one {live}: more than "
                f"{max_loss:.0%} would disappear from search (sync.max_delete_share)"
            )
    return problems


@dataclass
class Promotion:
    old: str | None
    new: str
    switch_seconds: float  # the alias move alone


class PromotionRefused(VersionError):
    def __init__(self, version: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"version {version} was not promoted:\n" + "\n".join(f"  - {p}" for p in problems))


def promote(ws: Workspace, version: str, gates: Iterable[Gate] = (), force: bool = False) -> Promotion:
    """Run the checks (and ``gates``) on ``version``, then point ``live`` at it."""
    candidate = ws.versions.get(version)
    if not force:
        live = ws.versions.live()
        live_manifest = Manifest(ws.settings.state_url, live.version) if live and live.version != candidate.version else None
        index = ws.reader(candidate).index
        problems = promotion_problems(
            candidate, index, Manifest(ws.settings.state_url, candidate.version), live_manifest, ws.settings.sync.max_delete_share
        )
        problems += [p for gate in gates for p in gate(candidate)]
        if problems:
            raise PromotionRefused(candidate.version, problems)
    return _timed(lambda: ws.versions.switch(candidate.version))


def rollback(ws: Workspace) -> Promotion:
    return _timed(ws.versions.rollback)


def _timed(switch: Callable[[], tuple[str | None, str]]) -> Promotion:
    started = time.perf_counter()
    old, new = switch()
    return Promotion(old, new, time.perf_counter() - started)
