"""Index versions and the ``live`` alias (blue-green).

Every index fingerprint (parser, chunker, embedding model, schema) is a version with its own
table or collection. Ingestion builds the configured version; search reads the version the
``live`` alias names, so a new version is built beside the live one without disturbing it.
Promotion and rollback move the alias in one short transaction: searches switch on their next
lookup, and nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from docent.settings import Settings
from docent.store.db import engine_for, metadata

LIVE = "live"
VERSIONED_SECTIONS = ("parsing", "chunking", "embedding")  # what a version's config records

index_versions = sa.Table(
    "index_versions",
    metadata,
    sa.Column("version", sa.String(32), primary_key=True),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("built_at", sa.DateTime(timezone=True)),
)

index_aliases = sa.Table(
    "index_aliases",
    metadata,
    sa.Column("alias", sa.String(32), primary_key=True),
    sa.Column("version", sa.String(32), nullable=False),
    sa.Column("previous", sa.String(32)),
    sa.Column("switched_at", sa.DateTime(timezone=True), nullable=False),
)


class VersionError(ValueError):
    """A version cannot be found, promoted or rolled back; the message says what to do."""


@dataclass(frozen=True)
class IndexVersion:
    version: str
    backend: str
    name: str
    config: dict
    created_at: datetime
    built_at: datetime | None
    role: str  # "live", "previous" or ""

    def settings(self, base: Settings) -> Settings:
        """``base`` with this version's parser, chunker and embedding model: how to read it."""
        return base.model_copy(
            update={s: getattr(base, s).model_validate(self.config[s]) for s in VERSIONED_SECTIONS}
        )


def now() -> datetime:
    return datetime.now(timezone.utc)


class IndexVersions:
    """The registry of versions and the alias, in the state store."""

    def __init__(self, url: str):
        self._engine = engine_for(url)

    def register(self, settings: Settings, name: str) -> str:
        """Record the configured version (once) and return its id, the index fingerprint."""
        version = settings.index_fingerprint()
        config = {s: getattr(settings, s).model_dump(mode="json") for s in VERSIONED_SECTIONS}
        with self._engine.begin() as conn:
            exists = conn.execute(sa.select(index_versions.c.version).where(index_versions.c.version == version)).first()
            if not exists:
                conn.execute(
                    index_versions.insert().values(
                        version=version, backend=settings.index.backend, name=name, config=config, created_at=now()
                    )
                )
        return version

    def mark_built(self, version: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(index_versions.update().where(index_versions.c.version == version).values(built_at=now()))

    def alias(self) -> tuple[str | None, str | None]:
        """(live version, previous version)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(index_aliases).where(index_aliases.c.alias == LIVE)).mappings().first()
        return (row["version"], row["previous"]) if row else (None, None)

    def all(self) -> list[IndexVersion]:
        live, previous = self.alias()
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(index_versions).order_by(index_versions.c.created_at)).mappings().all()
        roles = {live: "live", previous: "previous"}
        return [IndexVersion(**r, role=roles.get(r["version"], "")) for r in rows]

    def get(self, version: str) -> IndexVersion:
        """A version by id or unambiguous prefix."""
        found = [v for v in self.all() if v.version.startswith(version)]
        if len(found) != 1:
            known = ", ".join(v.version for v in self.all()) or "none yet"
            what = "matches several versions" if found else "is not a known index version"
            raise VersionError(f"{version!r} {what} (known: {known}); see `docent index list`")
        return found[0]

    def live(self) -> IndexVersion | None:
        return next((v for v in self.all() if v.role == "live"), None)

    def switch(self, version: str) -> tuple[str | None, str]:
        """Point ``live`` at a built ``version``; the old one becomes ``previous``. Returns (old, new)."""
        target = self.get(version)
        if target.built_at is None:
            raise VersionError(f"version {target.version} has not finished building; run the ingestion first")
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(index_aliases).where(index_aliases.c.alias == LIVE).with_for_update()).mappings().first()
            old = row["version"] if row else None
            if old == target.version:
                return old, target.version
            values = {"version": target.version, "previous": old, "switched_at": now()}
            if row:
                conn.execute(index_aliases.update().where(index_aliases.c.alias == LIVE).values(**values))
            else:
                conn.execute(index_aliases.insert().values(alias=LIVE, **values))
        return old, target.version

    def rollback(self) -> tuple[str, str]:
        """Point ``live`` back at ``previous`` (and remember the one left as the new previous)."""
        live, previous = self.alias()
        if not previous:
            raise VersionError("there is no previous version to roll back to; see `docent index list`")
        old, new = self.switch(previous)
        return old or live or "", new

    def forget(self, version: str) -> None:
        """Remove a version's record (its table is dropped by the caller). The live one is refused."""
        live, previous = self.alias()
        if version == live:
            raise VersionError(f"version {version} is live; promote another one first")
        with self._engine.begin() as conn:
            conn.execute(index_versions.delete().where(index_versions.c.version == version))
            if version == previous:
                conn.execute(index_aliases.update().where(index_aliases.c.alias == LIVE).values(previous=None))
