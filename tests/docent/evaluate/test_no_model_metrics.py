"""The no-model metrics on hand-computed cases: retrieval against reference ids, similarity to the
reference answer, grounding and citation validity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from docent.evaluate.cases import EvalCase
from docent.evaluate.metrics import retrieval_scores
from docent.evaluate.scoring import NoModelScorer, citation_validity
from docent.generate.local import NO_ANSWER
from docent.generate.prompts import Source


def source(n: int, chunk_id: str, text: str) -> Source:
    return Source(n=n, chunk_id=chunk_id, doc_id=f"doc-{chunk_id}", source_uri=f"file:///{chunk_id}.md", text=text, score=1.0 / n)


def case(answer: str, sources: list[Source], **kw) -> EvalCase:
    return EvalCase(key="k", question="How long is parental leave?", answer=answer, sources=sources, model="m",
                    index_version="v", **kw)


def test_retrieval_scores_match_hand_computed_values():
    s = retrieval_scores(["a", "b", "c", "d"], ["b", "e"], k=3)
    assert s["precision@k"] == pytest.approx(1 / 3)
    assert s["recall@k"] == pytest.approx(1 / 2)
    assert s["mrr"] == pytest.approx(1 / 2) and s["hit@k"] == 1.0
    assert retrieval_scores(["a", "c", "b"], ["b"], k=2)["hit@k"] == 0.0
    # DCG = 1/log2(3); ideal DCG for two relevant = 1 + 1/log2(3)
    assert s["ndcg@k"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert retrieval_scores(["a"], [], k=3) == dict.fromkeys(("precision@k", "recall@k", "hit@k", "mrr", "ndcg@k"))


def test_citation_validity_counts_markers_that_name_a_retrieved_chunk():
    sources = [source(1, "a", "x"), source(2, "b", "y")]
    assert citation_validity(case("One [1]. Two [2]. Three [7].", sources)) == pytest.approx(2 / 3)
    assert citation_validity(case("No markers at all.", sources)) is None


@pytest.fixture(scope="module")
def scorer(embedder):
    return NoModelScorer(lambda texts: embedder.embed(texts)[0], k=2)


def test_reference_metrics_on_identical_and_unrelated_answers(scorer):
    sources = [source(1, "a", "Parental leave is sixteen weeks at full pay."), source(2, "b", "Hotels cost 180 euros.")]
    same, other, refused = scorer.score([
        case("Parental leave is sixteen weeks at full pay [1].", sources, reference="Parental leave is sixteen weeks at full pay [1].",
             reference_ids=["a"], reference_contexts=["Parental leave is sixteen weeks at full pay."]),
        case("The cafeteria opens at noon [2].", sources, reference="Parental leave is sixteen weeks at full pay.",
             reference_ids=["c"], reference_contexts=["Parental leave is sixteen weeks at full pay."]),
        case(NO_ANSWER, sources, reference="Sixteen weeks."),
    ])
    assert same["semantic_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert same["rouge_l"] == pytest.approx(1.0) and same["string_similarity"] == pytest.approx(1.0)
    assert same["recall@k"] == 1.0 and same["id_context_recall"] == 1.0 and same["id_context_precision"] == pytest.approx(0.5)
    assert same["context_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert same["answered"] == 1.0 and same["citation_validity"] == 1.0
    assert other["semantic_similarity"] < 0.5 and other["rouge_l"] < 0.3
    assert other["recall@k"] == 0.0 and other["id_context_recall"] == 0.0
    assert refused["answered"] == 0.0 and refused["grounding"] is None  # a refusal claims nothing
    assert refused["semantic_similarity"] < 0.5  # but it is not the reference answer


def test_evidence_missing_from_the_index_scores_zero_retrieval(scorer):
    sources = [source(1, "a", "Hotels cost 180 euros.")]
    [row] = scorer.score([case("Hotels cost 180 euros [1].", sources, reference="x", reference_contexts=["Not indexed anywhere."])])
    assert row["recall@k"] == 0.0 and row["hit@k"] == 0.0 and row["id_context_recall"] == 0.0


def test_context_similarity_reads_long_references_by_windows(scorer):
    chunk = "Parental leave is sixteen weeks at full pay."
    filler = " ".join(["Unrelated filler about quarterly revenue and the office plants today."] * 15)  # exactly one 150-word window
    [row] = scorer.score([case("x [1].", [source(1, "a", chunk)], reference_contexts=[f"{filler} {chunk}"])])
    off = float(scorer.embeddings.vector(filler) @ scorer.embeddings.vector(chunk))
    assert off < 0.5  # read from its beginning alone, the page would look unrelated
    assert row["context_similarity"] == pytest.approx((off + 1.0) / 2, abs=1e-3)  # the mean of the two windows


def test_grounding_uses_stored_verdicts_and_computes_missing_ones(scorer):
    sources = [source(1, "a", "Parental leave is sixteen weeks at full pay.")]
    stored = case("Anything [1].", sources, grounding=[{"supported": True}, {"supported": False}, {"supported": True}])
    supported = case("Parental leave is sixteen weeks at full pay [1].", sources)
    unsupported = case("The moon is made of cheese [1].", sources)
    a, b, c = scorer.score([stored, supported, unsupported])
    assert a["grounding"] == pytest.approx(2 / 3)
    assert b["grounding"] == 1.0 and c["grounding"] == 0.0


def test_a_run_embeds_its_texts_in_one_batch(embedder):
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return embedder.embed(texts)[0]

    scorer = NoModelScorer(embed, k=1)
    sources = [source(1, "a", "Alpha beta.")]
    scorer.score([case(f"Answer {i} [1].", sources, reference=f"Reference {i}.") for i in range(20)])
    assert calls and calls[0] >= 40 and len(calls) <= 2, calls  # answers and references together, not one call per text
    assert isinstance(scorer.embeddings.vector("Answer 3 [1]."), np.ndarray)
