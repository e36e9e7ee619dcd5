import pytest

from docent.ingest.chunk import chunk_elements, doc_id_for, token_counter
from docent.ingest.parse import Element


@pytest.fixture(scope="module")
def counter(embedder):
    return token_counter(str(embedder.tokenizer_file))


def chunk(elements, counter, max_tokens=64, overlap=8):
    return chunk_elements(elements, doc_id="d1", source_uri="file:///d1.md", counter=counter,
                          max_tokens=max_tokens, overlap_tokens=overlap, fingerprint="fp")


def sentence(i: int) -> str:
    return f"Sentence number {i} talks about the quarterly budget of department {i * 7}."


def test_no_chunk_exceeds_the_token_budget(counter):
    long_para = " ".join(sentence(i) for i in range(60))
    giant_word = "x" * 3000 + " " + "supercalifragilistic" * 200
    elements = [Element("Budget", "Title", 1, ("Budget",)), Element(long_para, "NarrativeText", 1, ("Budget",)),
                Element(giant_word, "NarrativeText", 2, ("Budget",))]
    chunks = chunk(elements, counter)
    assert len(chunks) > 5
    assert max(counter.count([c.text for c in chunks])) <= 64
    joined = " ".join(c.text for c in chunks)
    for i in range(60):  # nothing is lost
        assert f"Sentence number {i} " in joined
    assert all(c.text.startswith("Budget\n") for c in chunks), "every chunk names its section"


def test_long_text_overlaps_between_chunks(counter):
    text = " ".join(sentence(i) for i in range(30))
    chunks = chunk([Element(text, "NarrativeText", None, ())], counter, max_tokens=60, overlap=20)
    shared = [set(a.text.splitlines()) & set(b.text.splitlines()) for a, b in zip(chunks, chunks[1:])]
    assert all(shared), "each chunk should repeat the tail of the previous one"


def test_ids_are_deterministic_and_change_with_content(counter):
    els = [Element("Alpha beta gamma.", "NarrativeText", 1, ())]
    a, b = chunk(els, counter), chunk(els, counter)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    c = chunk([Element("Alpha beta delta.", "NarrativeText", 1, ())], counter)
    assert a[0].chunk_id != c[0].chunk_id
    assert doc_id_for("file:///x") == doc_id_for("file:///x") != doc_id_for("file:///y")


def test_tables_stay_whole_when_they_fit(counter):
    table = "city | staff\nLisbon | 40\nOslo | 12"
    els = [Element(sentence(i), "NarrativeText", 1, ("A",)) for i in range(4)]
    els.append(Element(table, "Table", 1, ("A",)))
    chunks = chunk(els, counter, max_tokens=64)
    assert sum(table in c.text for c in chunks) == 1
    holder = next(c for c in chunks if table in c.text)
    assert holder.text.count("Lisbon") == 1


def test_new_sections_start_new_chunks_and_keep_metadata(counter):
    els = [
        Element("Leave", "Title", 1, ("Leave",)),
        Element(sentence(1) + " " + sentence(2), "NarrativeText", 1, ("Leave",)),
        Element("Travel", "Title", 2, ("Travel",)),
        Element(sentence(3), "NarrativeText", 2, ("Travel",)),
    ]
    chunks = chunk(els, counter, max_tokens=80)  # a title starts a chunk once 20 tokens are used
    assert [c.section for c in chunks] == ["Leave", "Travel"]
    assert [c.page for c in chunks] == [1, 2]
    assert chunks[1].text.startswith("Travel")
    assert all(c.fingerprint == "fp" and c.doc_id == "d1" for c in chunks)
    assert [c.position for c in chunks] == [0, 1]


def test_a_long_table_is_split_by_rows_and_every_piece_repeats_caption_and_header(counter):
    from docent.ingest.table import make_table, render

    table = make_table("Consolidated Statements of Operations",
                       ["", "Three Months Ended › June 30, 2024", "Three Months Ended › June 30, 2023"],
                       [[f"Line item {i}", f"{i},{i:03d}", f"({i + 1},{i:03d})"] for i in range(40)])
    el = Element(render(table), "Table", 3, ("Results",), table)
    chunks = chunk([el], counter, max_tokens=120, overlap=8)
    assert len(chunks) > 3
    assert max(counter.count([c.text for c in chunks])) <= 120
    rows_seen = []
    for c in chunks:
        lines = c.text.splitlines()
        assert "Consolidated Statements of Operations" in lines
        assert "| Three Months Ended › June 30, 2024 | Three Months Ended › June 30, 2023" in lines
        rows_seen += [line for line in lines if line.startswith("Line item")]
        assert c.category == "Table" and c.page == 3
    assert rows_seen == [f"Line item {i} | {i},{i:03d} | ({i + 1},{i:03d})" for i in range(40)], "each row once, in order"


def test_every_chunk_carries_the_document_identity_within_the_budget(counter):
    from docent.ingest.identity import DocumentIdentity

    identity = DocumentIdentity("contoso_2024_q2.pdf", "", "Contoso Ltd.", "Form 10-Q quarterly report",
                                "quarter ended June 30, 2024")
    elements = [Element(" ".join(sentence(i) for i in range(40)), "NarrativeText", 1, ())]
    chunks = chunk_elements(elements, doc_id="d1", source_uri="file:///contoso_2024_q2.pdf", counter=counter,
                            max_tokens=64, overlap_tokens=8, identity=identity)
    header = "Document: Contoso Ltd., Form 10-Q quarterly report, quarter ended June 30, 2024 (contoso_2024_q2.pdf)"
    assert len(chunks) > 3 and all(c.text.startswith(header + "\n") for c in chunks)
    assert max(counter.count([c.text for c in chunks])) <= 64
    assert {(c.organisation, c.doc_type, c.period) for c in chunks} == {
        ("Contoso Ltd.", "Form 10-Q quarterly report", "quarter ended June 30, 2024")}
