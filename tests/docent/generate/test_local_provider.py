"""``local/extractive`` through litellm's real ``acompletion``, on chunks of the demo corpus."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import litellm
import numpy as np
import pytest

from docent.embed import model_path
from docent.generate.local import NO_ANSWER, ExtractiveLLM, question_weights, register_local_provider, split_source
from docent.generate.prompts import Source, build_messages
from docent.generate.providers import register_provider
from docent.ingest.chunk import chunk_elements, doc_id_for, token_counter
from docent.ingest.parse import parse_bytes
from docent.settings import EmbeddingSettings

SAMPLES = Path(__file__).parents[3] / "samples" / "acme"
FILES = ["employee-handbook.md", "travel-expense-policy.pdf", "q3-2025-company-update.pptx", "lyon-lab-README.txt",
         "announcement-porter-p2-launch.eml"]
QUESTIONS = [  # question, fact the answer must quote, file of the source it must cite for it
    ("How many weeks of paid leave do secondary caregivers get?", "8 weeks of fully paid leave to the secondary caregiver",
     "employee-handbook.md"),
    ("What is the hotel cap in New York?", "New York, San Francisco and Boston: $325 per night", "travel-expense-policy.pdf"),
    ("What was revenue in Q3 2025?", "Revenue: $48.2M (Q3 2025)", "q3-2025-company-update.pptx"),
    ("How many paid sick days do US employees get?", "10 paid sick days per year", "employee-handbook.md"),
]


@pytest.fixture(scope="module")
def chunks():
    """The demo files parsed and chunked as ingestion does (no embedding model needed)."""
    counter = token_counter(str(model_path(EmbeddingSettings()) / "tokenizer.json"))
    out = []
    for name in FILES:
        uri = f"file:///acme/{name}"
        doc = parse_bytes((SAMPLES / name).read_bytes(), name)
        out += chunk_elements(doc.elements, doc_id=doc_id_for(uri), source_uri=uri, counter=counter, max_tokens=250,
                              overlap_tokens=32)
    return out


@pytest.fixture(scope="module")
def embed(embedder):
    return lambda texts: embedder.encode(texts, embedder.query_model)


def _sources(chunks, picked) -> list[Source]:
    return [Source(n, c.chunk_id, c.doc_id, c.source_uri, c.text, 0.0, c.content_hash, c.page, c.section)
            for n, c in enumerate(picked, 1)]


def retrieve(chunks, embed, question: str, k: int = 4) -> list[Source]:
    """The k chunks nearest the question, as the numbered sources of a prompt."""
    scores = embed([c.text for c in chunks]) @ embed([question])[0]
    return _sources(chunks, [chunks[i] for i in np.argsort(-scores, kind="stable")[:k]])


async def ask(question: str, sources: list[Source], **kwargs) -> tuple[str, object]:
    """The streamed answer and the usage litellm reports for it."""
    response = await litellm.acompletion(model="local/extractive", messages=build_messages(question, sources),
                                         stream=True, stream_options={"include_usage": True}, **kwargs)
    text, usage = "", None
    async for chunk in response:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        usage = getattr(chunk, "usage", None) or usage
    return text, usage


@pytest.mark.slow
@pytest.mark.parametrize("question,fact,file", QUESTIONS, ids=[q[2].split(".")[0] + "-" + q[1][:12] for q in QUESTIONS])
def test_answers_quote_the_fact_and_cite_its_source(chunks, embed, question, fact, file):
    register_local_provider(embed)
    sources = retrieve(chunks, embed, question)
    answer, usage = asyncio.run(ask(question, sources))
    cited = re.search(re.escape(fact) + r"[^\[]*\[(\d+)\]", answer)
    assert cited, answer
    assert sources[int(cited.group(1)) - 1].source_uri.endswith(file), answer
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer)} <= {s.n for s in sources}
    assert usage.completion_tokens == len(answer.split()) and usage.prompt_tokens > 100


@pytest.mark.slow
def test_deterministic_and_streaming_matches_the_plain_call(chunks, embed):
    register_local_provider(embed)
    question = QUESTIONS[0][0]
    sources = retrieve(chunks, embed, question)
    streamed = [asyncio.run(ask(question, sources))[0] for _ in range(2)]
    plain = litellm.completion(model="local/extractive", messages=build_messages(question, sources))
    fresh = ExtractiveLLM(embed).answer(build_messages(question, sources))
    assert streamed[0] == streamed[1] == plain.choices[0].message.content == fresh
    assert plain.usage.total_tokens == plain.usage.prompt_tokens + len(fresh.split())
    assert litellm.completion_cost(plain) == 0.0


@pytest.mark.slow
def test_says_it_does_not_know_when_nothing_is_relevant(chunks, embed):
    register_local_provider(embed)
    question = "What is the capital of Mongolia?"
    assert asyncio.run(ask(question, retrieve(chunks, embed, question)))[0] == NO_ANSWER
    answer, usage = asyncio.run(ask("How much paid leave do secondary caregivers get?", []))
    assert answer == NO_ANSWER and usage.completion_tokens == len(NO_ANSWER.split())


def test_lexical_mode_needs_no_embedder(chunks):
    register_local_provider(None)
    pdf = [c for c in chunks if c.source_uri.endswith("travel-expense-policy.pdf")]
    sources = _sources(chunks, pdf)
    answer, _ = asyncio.run(ask("What is the hotel cap in New York?", sources))
    n = int(re.search(r"\$325 per night \[(\d+)\]", answer).group(1))
    assert sources[n - 1].section.endswith("Hotels"), answer
    assert asyncio.run(ask("What is the capital of Mongolia?", sources))[0] == NO_ANSWER


def test_scoring_runs_off_the_event_loop(chunks):
    def slow_embed(texts: list[str]) -> np.ndarray:
        time.sleep(0.3)  # stands in for the model: CPU-bound, holds its thread
        return np.full((len(texts), 4), 0.5, dtype=np.float32)

    register_provider("local", ExtractiveLLM(slow_embed))
    sources = _sources(chunks, [c for c in chunks if c.source_uri.endswith("travel-expense-policy.pdf")])

    async def run() -> tuple[float, str]:
        beats, done = [time.perf_counter()], False

        async def ticker():
            while not done:
                await asyncio.sleep(0.01)
                beats.append(time.perf_counter())

        task = asyncio.create_task(ticker())
        answer, _ = await ask("What is the hotel cap in New York?", sources)
        plain = await litellm.acompletion(model="local/extractive", messages=build_messages("Hotel cap?", sources))
        done = True
        await task
        return max(np.diff(beats)), answer + plain.choices[0].message.content

    gap, answers = asyncio.run(run())
    assert gap < 0.2, f"the event loop stalled for {gap:.2f} s while the answer was scored"
    assert "$325" in answers


def test_split_source_reads_headings_tables_lists_and_abbreviations():
    text = ("## Hotels\n- Stay in listed hotels, e.g. the Hilton. Caps apply.\nMetric | Q3 2025 | Change\n"
            "Revenue | $48.2M | +14%\nAcme Robotics, Inc. builds robots.\nHow do I print?\nUse the FollowMe queue.\n=====")
    assert split_source(text) == [
        ("Stay in listed hotels, e.g. the Hilton.", "Hotels"),
        ("Caps apply.", "Hotels"),
        ("Revenue: $48.2M (Q3 2025), +14% (Change)", "Hotels"),
        ("Acme Robotics, Inc. builds robots.", "Hotels"),
        ("Use the FollowMe queue.", "How do I print?"),
    ]
    assert split_source("LYS | Lyon R&D Lab | 28") == [("LYS; Lyon R&D Lab; 28", "")]  # a table's tail, no header


def test_register_provider_replaces_and_refuses_builtin_names():
    first, second = ExtractiveLLM(), ExtractiveLLM()
    register_provider("local", first)
    register_provider("local", second)
    entries = [item for item in litellm.custom_provider_map if item["provider"] == "local"]
    assert len(entries) == 1 and entries[0]["custom_handler"] is second
    assert "local" in litellm._custom_providers
    with pytest.raises(ValueError, match="built-in"):
        register_provider("openai", first)


def test_rows_from_several_documents_answer_one_line_per_document():
    def filing(n: int, quarter: str, revenue: str) -> Source:
        text = (f"Document: Contoso Ltd., Form 10-Q quarterly report, {quarter} 2024 (contoso-{quarter}.pdf)\n"
                f"(In millions) | Three Months Ended › {quarter} 2024\nTotal revenues | {revenue}\nNet income | 9")
        return Source(n, f"c{n}", f"d{n}", f"file:///contoso-{quarter}.pdf", text, 0.9)

    register_local_provider(None)
    answer, _ = asyncio.run(ask("What were Contoso's total revenues?", [filing(1, "Q1", "11,002"), filing(2, "Q2", "12,345")]))
    assert answer.splitlines() == [
        "- Contoso Ltd., Form 10-Q quarterly report, Q1 2024: Total revenues: 11,002 (Three Months Ended › Q1 2024) [1].",
        "- Contoso Ltd., Form 10-Q quarterly report, Q2 2024: Total revenues: 12,345 (Three Months Ended › Q2 2024) [2].",
    ], answer


def test_a_table_caption_is_context_and_a_blank_row_label_keeps_the_columns_in_place():
    text = ("Document: Contoso Ltd., Form 10-K annual report, FY2023 (contoso-2023.pdf)\n"
            "CONTOSO LTD. — CONSOLIDATED BALANCE SHEETS — (in millions)\n"
            "| June 30, 2023 | June 30, 2022\nTotal assets | $59,268 | $55,556")
    assert split_source(text) == [
        ("Total assets: $59,268 (June 30, 2023), $55,556 (June 30, 2022)",
         "CONTOSO LTD. — CONSOLIDATED BALANCE SHEETS — (in millions)")]
    assert split_source("| Metric | Q3 |\n| Revenue | 48 |") == [("Revenue: 48 (Q3)", "")]  # markdown framing


def test_instructions_weigh_half_and_a_prefixed_year_is_the_year():
    weights = question_weights("What were FY2023 total assets for Contoso? Answer in USD millions.")
    assert weights == {"2023": 1.0, "total": 1.0, "asset": 1.0, "contoso": 1.0, "answer": 0.5, "usd": 0.5, "million": 0.5}
    assert question_weights("Total assets in 2023") == {"total": 1.0, "asset": 1.0, "2023": 1.0}


@pytest.mark.slow
def test_a_table_row_answers_a_question_that_names_its_document_and_carries_instructions(embed):
    body = ("Document: Contoso Ltd., Form 10-K annual report, FY2023 (contoso-2023.pdf)\n"
            "CONTOSO LTD. — CONSOLIDATED BALANCE SHEETS — (in millions)\n| June 30, 2023 | June 30, 2022\n"
            "Total current assets | 29,505 | 28,120\nGoodwill | 1,200 | 1,100\nTotal assets | $59,268 | $55,556")
    sources = [Source(1, "c1", "d1", "file:///contoso-2023.pdf", body, 0.9)]
    question = ("Using only the information within the balance sheet, what were Contoso's FY2023 total assets? "
                "Answer in USD millions.")
    register_local_provider(embed)
    answer, _ = asyncio.run(ask(question, sources))
    assert "Total assets: $59,268 (June 30, 2023), $55,556 (June 30, 2022) [1]." in answer, answer
    assert "CONSOLIDATED" not in answer, answer  # the caption is context, not a claim
    assert asyncio.run(ask("What is Contoso's dress code? Answer briefly.", sources))[0] == NO_ANSWER
