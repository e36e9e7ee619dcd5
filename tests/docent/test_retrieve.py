"""The retriever's page cap: one page's pieces do not crowd out the rest of the evidence."""

import pytest

from docent.index.base import Chunk
from docent.index.lancedb import LanceDBIndex
from docent.retrieve import MODES, Retriever
from docent.settings import RetrievalSettings

QUESTION = "What were the total revenues of the lab equipment segment?"


@pytest.fixture(scope="module")
def index(embedder, tmp_path_factory):
    index = LanceDBIndex(tmp_path_factory.mktemp("idx"), "chunks", embedder.dim)
    same_page = [f"Total revenues of the lab equipment segment, part {i}: {100 + i} million." for i in range(4)]
    others = [f"Lab equipment segment revenues, page {p}, were reviewed by the audit committee." for p in (1, 2, 4)]
    chunks = [Chunk(f"a{i}", "report", i, text, f"h{i}", "file:///r/report.pdf", page=3) for i, text in enumerate(same_page)]
    chunks += [Chunk(f"b{p}", "report", 10 + p, text, f"hb{p}", "file:///r/report.pdf", page=p)
               for p, text in zip((1, 2, 4), others)]
    chunks += [Chunk(f"t{i}", "notes", i, text, f"ht{i}", "file:///r/notes.txt") for i, text in enumerate(same_page)]
    index.upsert(chunks, embedder.encode([c.text for c in chunks]))
    index.refresh()
    return index


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lookalikes", [True, False])
def test_one_hit_per_page_by_default_and_pageless_chunks_are_never_capped(index, embedder, mode, lookalikes):
    capped = Retriever(index, embedder, RetrievalSettings(lookalikes=lookalikes)).search(QUESTION, k=7, mode=mode)
    pdf_pages = [h.chunk.page for h in capped if h.chunk.doc_id == "report"]
    assert len(pdf_pages) == len(set(pdf_pages)) and 3 in pdf_pages, pdf_pages
    assert sum(h.chunk.doc_id == "notes" for h in capped) == 4  # no pages: all four kept
    assert len(capped) == 7

    uncapped = Retriever(index, embedder, RetrievalSettings(lookalikes=lookalikes, per_page=0)).search(QUESTION, k=7, mode=mode)
    assert [h.chunk.page for h in uncapped].count(3) == 4
