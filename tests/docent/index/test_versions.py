"""The version registry and the live alias, on SQLite and on Postgres."""

from __future__ import annotations

import pytest

from docent.index.versions import IndexVersions, VersionError


@pytest.fixture
def versions(state_url) -> IndexVersions:
    return IndexVersions(state_url)


def register(versions: IndexVersions, settings, max_tokens: int) -> str:
    s = settings.model_copy(update={"chunking": settings.chunking.model_copy(update={"max_tokens": max_tokens})})
    return versions.register(s, f"chunks_{max_tokens}")


def test_register_is_idempotent_and_records_the_config(versions, settings):
    a = register(versions, settings, 250)
    assert register(versions, settings, 250) == a == settings.index_fingerprint()
    (only,) = versions.all()
    assert only.config["chunking"]["max_tokens"] == 250 and only.built_at is None and only.role == ""
    assert only.settings(settings).index_fingerprint() == a


def test_promote_needs_a_built_version_and_rollback_swaps_back(versions, settings):
    a, b = register(versions, settings, 250), register(versions, settings, 120)
    with pytest.raises(VersionError, match="has not finished building"):
        versions.switch(a)
    versions.mark_built(a)
    assert versions.switch(a) == (None, a)
    with pytest.raises(VersionError, match="no previous version"):
        versions.rollback()
    versions.mark_built(b)
    assert versions.switch(b[:6]) == (a, b)  # a unique prefix is enough
    assert {v.version: v.role for v in versions.all()} == {a: "previous", b: "live"}
    assert versions.rollback() == (b, a)
    assert versions.alias() == (a, b)


def test_unknown_or_ambiguous_versions_and_dropping_live_are_refused(versions, settings):
    a = register(versions, settings, 250)
    versions.mark_built(a)
    versions.switch(a)
    with pytest.raises(VersionError, match="not a known index version"):
        versions.get("zzzz")
    with pytest.raises(VersionError, match="matches several"):
        register(versions, settings, 120) and versions.get("")
    with pytest.raises(VersionError, match="is live"):
        versions.forget(a)
