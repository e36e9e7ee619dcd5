import uuid

import pytest
import sqlalchemy as sa

from docent.ingest.manifest import DocumentRecord, Manifest
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
def manifest(request, tmp_path):
    if request.param == "sqlite":
        return Manifest(f"sqlite:///{tmp_path / 'state.db'}")
    schema = f"t_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    request.addfinalizer(lambda: _drop(engine, schema))
    return Manifest(POSTGRES_URL + f"?options=-csearch_path%3D{schema}")


def _drop(engine, schema):
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def rec(doc_id: str, status: str = "indexed", chunks: int = 3, **kw) -> DocumentRecord:
    base = dict(doc_id=doc_id, source_uri=f"file:///{doc_id}", content_hash="h" * 64, size=10, mtime=1.5,
                fingerprint="fp", status=status, error=None, chunks=chunks)
    return DocumentRecord(**{**base, **kw})


def test_round_trip_upsert_and_delete(manifest):
    manifest.save([rec("a"), rec("b", status="quarantined", chunks=0, error="empty file")])
    assert manifest.all() == {"a": rec("a"), "b": rec("b", status="quarantined", chunks=0, error="empty file")}
    manifest.save([rec("a", chunks=9, mtime=2.0)])  # update in place, no duplicate
    got = manifest.all()
    assert len(got) == 2 and got["a"].chunks == 9 and got["a"].mtime == 2.0
    manifest.delete(["a", "missing"])
    assert list(manifest.all()) == ["b"]
