"""Look-alike reports: the same template for three organisations and two years, told apart by identity."""

import pytest

from docent.index.base import Chunk, SearchHit
from docent.lookalike import cues, diversify
from docent.workspace import Workspace

ORGS = {"northwind": "Northwind Traders, Inc.", "contoso": "Contoso Ltd.", "fabrikam": "Fabrikam Corporation"}
FILLER = ("Our business depends on customer demand, supply chains and the general economy. "
          "We describe the risks that could affect our results in the sections that follow. ") * 6


def revenue(org: str, year: int) -> int:
    return 1000 * (list(ORGS).index(org) + 1) + (year - 2000) * 7


def report(org: str, year: int) -> str:
    rows = "\n".join(f"| {label} | {revenue(org, year) + i:,} | {revenue(org, year - 1) + i:,} |"
                     for i, label in enumerate(["Total revenues", "Cost of revenues", "Operating income"]))
    return (f"FORM 10-K\n\nFor the fiscal year ended December 31, {year}\n\n{ORGS[org]}\n\n"
            f"(Exact name of registrant as specified in its charter)\n\n# Risk factors\n\n{FILLER}\n\n"
            f"# Consolidated Statements of Operations\n\n| (Millions) | {year} | {year - 1} |\n|---|---|---|\n{rows}\n\n"
            f"# Liquidity\n\n{FILLER}\n")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from docent.settings import load_settings

    root = tmp_path_factory.mktemp("reports")
    data = tmp_path_factory.mktemp("data")
    for org in ORGS:
        for year in (2021, 2022, 2023):
            (root / f"{org}-{year}-annual.md").write_text(report(org, year))
    settings = load_settings(data_dir=data, embedding={"backend": "torch", "batch_size": 32})
    workspace = Workspace(settings)
    assert not workspace.ingest(str(root)).quarantined
    yield workspace
    workspace.close()


def test_a_question_naming_organisation_and_year_gets_that_document_first(ws):
    for org in ORGS:
        short = ORGS[org].split()[0]
        hits = ws.retriever.search(f"What were {short}'s total revenues in fiscal 2022?", k=5)
        top = hits[0].chunk
        assert top.organisation == ORGS[org] and "2022" in top.period, (org, [h.chunk.source_uri for h in hits])
        assert f"Total revenues | {revenue(org, 2022):,}" in top.text


def test_a_question_spanning_years_brings_evidence_from_each(ws):
    hits = ws.retriever.search("How did Contoso's total revenues change from fiscal 2021 to fiscal 2023?", k=4)
    periods = {h.chunk.period[:6] for h in hits if h.chunk.organisation == "Contoso Ltd."}
    assert periods >= {"FY2021", "FY2023"}, [(h.chunk.organisation, h.chunk.period) for h in hits]
    # another organisation's reports of those years are no evidence
    assert {h.chunk.organisation for h in hits} == {"Contoso Ltd."}, [(h.chunk.organisation, h.chunk.period) for h in hits]


def test_a_question_asking_for_the_most_recent_period_gets_the_newest_report_first(ws):
    for org in ORGS:
        short = ORGS[org].split()[0]
        hits = ws.retriever.search(f"What were {short}'s total revenues in the most recent fiscal year?", k=3)
        top = hits[0].chunk
        assert top.organisation == ORGS[org] and "2023" in top.period, (org, [(h.chunk.organisation, h.chunk.period) for h in hits])
    assert cues("revenue in the latest annual report").recent and not cues("revenue in the latest 2022 report").recent


def test_identity_fields_are_filters(ws):
    hits = ws.retriever.search("total revenues", k=20, filters={"organisation": "Fabrikam Corporation"})
    assert hits and {h.chunk.organisation for h in hits} == {"Fabrikam Corporation"}
    assert {h.chunk.doc_type for h in hits} == {"Form 10-K annual report"}


def test_cues_read_years_kinds_and_words():
    cue = cues("What was Contoso's FY21 revenue in its 10-K, versus Q3 2023?")
    assert cue.years == {"2021", "2023"} and "10-K" in cue.kinds and "contoso" in cue.words
    assert cue.spans_documents and not cues("revenue in 2022").spans_documents


def test_diversify_takes_turns_between_documents():
    def hit(doc: str, n: int) -> SearchHit:
        return SearchHit(Chunk(f"{doc}{n}", doc, n, "t", "h", "u"), 1.0)

    ranked = [hit("a", 0), hit("a", 1), hit("a", 2), hit("b", 0), hit("b", 1)]
    assert [h.chunk.chunk_id for h in diversify(ranked, 4)] == ["a0", "b0", "a1", "b1"]


def test_ranking_uses_identity_fields_beyond_the_text(embedder, tmp_path):
    """Chunks with the same words and different owners: only the identity fields tell them apart."""
    from docent.index.lancedb import LanceDBIndex
    from docent.retrieve import Retriever
    from docent.settings import RetrievalSettings

    index = LanceDBIndex(tmp_path / "idx", "chunks", embedder.dim)
    chunks = [Chunk(f"{org}-{year}-{i}", f"{org}-{year}", i, f"Total revenues were strong in the year, part {i}.",
                    "h", f"file:///r/{org}-{year}.pdf", organisation=name, period=f"FY{year}",
                    doc_type="Form 10-K annual report")
              for org, name in ORGS.items() for year in (2021, 2022, 2023) for i in range(3)]
    index.upsert(chunks, embedder.encode([c.text for c in chunks]))
    index.refresh()

    def top(question: str, lookalikes: bool, k: int = 3) -> list[Chunk]:
        retriever = Retriever(index, embedder, RetrievalSettings(lookalikes=lookalikes))
        return [h.chunk for h in retriever.search(question, k=k)]

    question = "What were Fabrikam's total revenues in 2022?"
    assert {(c.organisation, c.period) for c in top(question, True)} == {("Fabrikam Corporation", "FY2022")}
    assert {(c.organisation, c.period) for c in top(question, False)} != {("Fabrikam Corporation", "FY2022")}
    spanning = top("How did Northwind's total revenues change from 2021 to 2023?", True, k=2)
    assert {(c.organisation, c.period) for c in spanning} == {(ORGS["northwind"], "FY2021"), (ORGS["northwind"], "FY2023")}


def test_a_file_named_for_its_organisation_matches_a_question_that_uses_that_name():
    from docent.lookalike import match

    renamed = Chunk("c1", "d1", 0, "text", "h", "file:///filings/BLOCK_2020_10K.pdf", organisation="Square, Inc.")
    other = Chunk("c2", "d2", 0, "text", "h", "file:///filings/PEPSICO_2020_10K.pdf", organisation="PepsiCo, Inc.")
    question = cues("What was Block's revenue in FY2020?")
    assert match(renamed, question) > match(other, question)
    assert match(other, cues("PepsiCo's 2020 annual report revenue")) >= 1.0
    assert match(renamed, cues("Square's 2020 revenue")) >= 1.0


def test_a_question_may_abbreviate_the_organisation():
    from docent.lookalike import match

    amex = Chunk("c1", "d1", 0, "text", "h", "file:///filings/report-2022.pdf", organisation="American Express Company")
    jnj = Chunk("c2", "d2", 0, "text", "h", "file:///filings/annual-2022.pdf", organisation="Johnson & Johnson")
    assert match(amex, cues("Does AMEX have an improving operating margin?")) >= 1.0
    assert match(jnj, cues("What drove gross margin change for JnJ?")) >= 1.0
    assert match(jnj, cues("How did J&J's sales grow?")) >= 1.0
    assert match(amex, cues("What drove gross margin change for JnJ?")) == 0.0
    assert match(amex, cues("Sales in America and exports")) < 1.0  # "america" is not the start of both words
