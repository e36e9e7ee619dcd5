import uuid

import pytest
import sqlalchemy as sa

from docent.ingest.manifest import DocumentRecord, Manifest
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    schema = f"t_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    request.addfinalizer(lambda: _drop(engine, schema))
    return POSTGRES_URL + f"?options=-csearch_path%3D{schema}"


def _drop(engine, schema):
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def rec(doc_id: str, status: str = "indexed", chunks: int = 3, **kw) -> DocumentRecord:
    base = dict(doc_id=doc_id, source_uri=f"file:///{doc_id}", content_hash="h" * 64, size=10, mtime=1.5,
                status=status, error=None, chunks=chunks)
    return DocumentRecord(**{**base, **kw})


def test_round_trip_upsert_and_delete(url):
    manifest = Manifest(url, "v1")
    manifest.save([rec("a"), rec("b", status="quarantined", chunks=0, error="empty file")])
    assert manifest.all() == {"a": rec("a"), "b": rec("b", status="quarantined", chunks=0, error="empty file")}
    manifest.save([rec("a", chunks=9, mtime=2.0)])  # update in place, no duplicate
    got = manifest.all()
    assert len(got) == 2 and got["a"].chunks == 9 and got["a"].mtime == 2.0
    manifest.delete(["a", "missing"])
    assert list(manifest.all()) == ["b"]
    assert manifest.all()["b"].updated_at is not None


def test_each_index_version_keeps_its_own_records(url):
    blue, green = Manifest(url, "blue"), Manifest(url, "green")
    blue.save([rec("a", chunks=3)])
    green.save([rec("a", chunks=7), rec("c")])
    assert blue.all() == {"a": rec("a", chunks=3)}
    assert green.get_many(["a", "zzz"]) == {"a": rec("a", chunks=7)}
    green.delete(["a"])
    assert list(blue.all()) == ["a"] and list(green.all()) == ["c"]
