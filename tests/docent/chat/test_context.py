"""Small to big: hits are widened with their section's neighbouring chunks, within the budget."""

import numpy as np

from docent.chat.context import widen
from docent.generate.prompts import Source
from docent.index.base import Chunk
from docent.index.lancedb import LanceDBIndex

HEADER = "Document: Contoso Ltd., annual report, FY2024 (contoso.pdf)"


def chunk(pos: int, body: str, section: str = "Results", category: str = "NarrativeText") -> Chunk:
    return Chunk(f"c{pos}", "d1", pos, f"{HEADER}\n{section}\n{body}", f"h{pos}", "file:///contoso.pdf", 1, section, category)


def source(c: Chunk, n: int = 1) -> Source:
    return Source(n, c.chunk_id, c.doc_id, c.source_uri, c.text, 1.0, c.content_hash, c.page, c.section)


def build(tmp_path, chunks):
    index = LanceDBIndex(tmp_path / "idx", "chunks", 4)
    index.upsert(chunks, np.ones((len(chunks), 4), dtype=np.float32))
    index.refresh()
    return index


def test_a_prose_hit_reads_its_neighbours_in_the_same_section(tmp_path):
    chunks = [chunk(0, "Intro text.", section="Intro"), chunk(1, "Sales grew."), chunk(2, "Revenue was 12."),
              chunk(3, "Costs fell."), chunk(4, "Far away.")]
    index = build(tmp_path, chunks)
    [wide] = widen([source(chunks[2])], index, 10_000, len)
    assert wide.text == f"{HEADER}\nSales grew.\nResults\nRevenue was 12.\nCosts fell."
    assert wide.chunk_id == "c2" and wide.n == 1


def test_a_table_hit_reads_the_rest_of_its_table_and_hits_are_not_repeated(tmp_path):
    rows = [chunk(i, f"Row {i} | {i}00", category="Table") for i in range(6)]
    index = build(tmp_path, rows)
    first, second = widen([source(rows[2]), source(rows[5], 2)], index, 10_000, len)
    assert [line for line in first.text.splitlines() if line.startswith("Row")] == [f"Row {i} | {i}00" for i in range(5)]
    assert second.text == rows[5].text, "its neighbours were taken by the first hit"


def test_the_budget_is_kept(tmp_path):
    chunks = [chunk(i, "word " * 50) for i in range(3)]
    index = build(tmp_path, chunks)
    hit = source(chunks[1])
    [wide] = widen([hit], index, len(hit.text) + 10, len)
    assert wide.text == hit.text


def test_fit_counts_the_models_tokens_and_cuts_only_the_first_source():
    from docent.chat.context import fit, token_counter

    count = token_counter("local/extractive")
    first, second = (source(chunk(i, "Revenue grew 12% in fiscal 2024. " * 40), n=i + 1) for i in range(2))
    assert [s.n for s in fit([first, second], count(first.text) + 5, count)] == [1]
    [cut] = fit([first, second], 100, count)
    assert 80 <= count(cut.text) <= 100 < count(first.text)
