"""The stage checks fail on bad data and pass on good data."""

import numpy as np

from docent.index.base import Chunk
from docent.ingest.checks import bad_vectors, duplicate_chunk_ids, empty_texts, oversized_chunks
from docent.ingest.chunk import token_counter
from docent.ingest.manifest import DocumentRecord
from docent.ingest.parse import Element
from docent.ingest.pipeline import Prepared
from docent.ingest.sources import SourceFile
from docent.ingest.worker import WorkResult


def chunk(cid: str, text: str = "some text") -> Chunk:
    return Chunk(cid, "d", 0, text, "h", "file:///d", None, "", "NarrativeText", "fp")


def prepared(*chunks: Chunk) -> Prepared:
    return Prepared(DocumentRecord("d", "file:///d", "h", 1, 1.0, "indexed"), list(chunks), replaces=False)


def test_empty_texts_flags_documents_without_text_but_not_unchanged_bytes():
    f = SourceFile("file:///a", 1, 1.0)
    blank = WorkResult("h", elements=[Element("  \n", "NarrativeText", None, ())])
    full = WorkResult("h", elements=[Element("Hello", "Title", None, ())])
    assert empty_texts([(f, blank), (f, full), (f, WorkResult("h"))]) == ["file:///a"]


def test_oversized_and_duplicate_chunks(embedder):
    counter = token_counter(str(embedder.tokenizer_file))
    long = chunk("long", "word " * 300)
    batch = [prepared(chunk("a"), long), prepared(chunk("a"))]
    assert oversized_chunks(batch, counter) == ["long"]
    assert duplicate_chunk_ids(batch) == ["a"]
    assert oversized_chunks([prepared(chunk("b"))], counter) == duplicate_chunk_ids([prepared(chunk("b"))]) == []


def test_bad_vectors_catches_shape_nan_and_norm():
    good = np.eye(3, 4, dtype=np.float32)
    assert bad_vectors(good, 3, 4) == []
    assert "shape" in bad_vectors(good, 2, 4)[0]
    assert "not unit length" in bad_vectors(good * 2, 3, 4)[0]
    broken = good.copy()
    broken[1, 0] = np.nan
    assert any("NaN" in p for p in bad_vectors(broken, 3, 4))
