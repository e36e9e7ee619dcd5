"""Where evidence sits: a heading that names the question's words, a table for a question asking for a figure."""

import pytest

from docent import priors
from docent.index.base import Chunk, SearchHit
from docent.index.lancedb import LanceDBIndex
from docent.lexical import stems
from docent.retrieve import Retriever
from docent.settings import RetrievalSettings


def hit(chunk_id: str, score: float, section: str = "", category: str = "NarrativeText",
        organisation: str = "") -> SearchHit:
    chunk = Chunk(chunk_id, "doc", 0, "text", "h", "file:///r/report.pdf", page=1, section=section,
                  category=category, organisation=organisation)
    return SearchHit(chunk, score)


@pytest.mark.parametrize("question, figure", [
    ("How much did capital expenditure grow in 2022?", True),
    ("What was the effective tax rate?", True),
    ("What is the total amount of inventories (in USD millions)?", True),
    ("Did the share of online sales reach 30%?", True),
    ("Who are the primary customers of the company?", False),
    ("Does the new CEO have previous CEO experience?", False),
])
def test_a_question_asks_for_a_figure_by_its_words_not_its_subject(question, figure):
    assert priors.asks_for_figure(question) is figure


def test_a_heading_naming_the_question_lifts_its_chunk_over_a_near_tie():
    hits = [hit("note", 1.2, "Note 7: Leases"), hit("statement", 1.0, "Consolidated Statements of Cash Flows")]
    question = "Base your answer on the cash flow statement: what were the operating cash flows?"
    assert [h.chunk.chunk_id for h in priors.weigh(hits, question, 1.0, 0.0)] == ["statement", "note"]
    assert [h.chunk.chunk_id for h in priors.weigh(hits, question, 0.0, 0.0)] == ["note", "statement"]
    clear_winner = [hit("note", 3.0, "Note 7: Leases"), hits[1]]  # a prior reorders near-ties, not clear gaps
    assert priors.weigh(clear_winner, question, 1.0, 0.0)[0].chunk.chunk_id == "note"


def test_the_organisation_in_a_heading_does_not_count():
    """Every heading of Acme's report may name Acme; only what the heading is about should match."""
    question = "What was Acme's revenue growth?"
    named = hit("named", 1.0, "Acme Corporation and Subsidiaries — Segment Information", organisation="Acme Corporation")
    assert priors.heading_match(named, stems(question)) == 0.0
    about = hit("about", 1.0, "Acme Corporation — Revenue", organisation="Acme Corporation")
    assert priors.heading_match(about, stems(question)) == 1.0


def test_tables_come_first_only_for_a_question_asking_for_a_figure():
    hits = [hit("prose", 1.3), hit("table", 1.0, category="Table")]
    figure = priors.weigh(hits, "What was the total revenue in 2023?", 0.0, 0.75)
    assert [h.chunk.chunk_id for h in figure] == ["table", "prose"]
    assert figure[0].score == pytest.approx(1.75)
    prose = priors.weigh(hits, "Who leads the research lab?", 0.0, 0.75)
    assert [h.chunk.chunk_id for h in prose] == ["prose", "table"]


QUESTION = "How much was the capital expenditure in fiscal 2018? Use the cash flow statement."


@pytest.fixture(scope="module")
def report(embedder, tmp_path_factory):
    """One filing: a long discussion of capital spending and cash, and the cash flow statement's table."""
    uri = "file:///r/filing.pdf"
    prose = ("Capital expenditure in fiscal 2018 was discussed at length by management: capital expenditure plans, "
             "the capital expenditure review, cash flow planning and the statement of capital priorities for 2018.")
    table = ("Consolidated Statements of Cash Flows\n| | 2018 | 2017\nPurchases of property, plant and equipment | "
             "(1,577) | (1,373)\nNet cash used in investing activities | (222) | (3,086)")
    chunks = [Chunk("prose", "filing", 0, prose, "h0", uri, page=40, section="Management's Discussion and Analysis"),
              Chunk("table", "filing", 1, table, "h1", uri, page=55, section="Consolidated Statements of Cash Flows",
                    category="Table")]
    chunks += [Chunk(f"other{i}", "filing", 2 + i, f"Risk factor {i}: competition, suppliers and regulation.", f"o{i}",
                     uri, page=10 + i, section="Risk Factors") for i in range(6)]
    index = LanceDBIndex(tmp_path_factory.mktemp("priors"), "chunks", embedder.dim)
    index.upsert(chunks, embedder.encode([c.text for c in chunks]))
    index.refresh()
    return index


@pytest.mark.parametrize("lookalikes", [True, False])
def test_hybrid_search_finds_the_statement_a_figure_question_names(report, embedder, lookalikes):
    plain = RetrievalSettings(lookalikes=lookalikes, heading_weight=0, table_weight=0)
    assert Retriever(report, embedder, plain).search(QUESTION, k=2)[0].chunk.chunk_id == "prose"
    ranked = Retriever(report, embedder, RetrievalSettings(lookalikes=lookalikes)).search(QUESTION, k=2)
    assert ranked[0].chunk.chunk_id == "table"
