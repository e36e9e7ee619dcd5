"""The metrics that need no model: retrieval against reference ids, similarity to the reference
answer (ragas SemanticSimilarity on the local embedder, NonLLMStringSimilarity, ROUGE-L), grounding
and citation validity. A metric that cannot apply to a case (no reference, no markers) is None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
from ragas import SingleTurnSample
from ragas.metrics._context_precision import IDBasedContextPrecision  # the legacy API: not in ragas.metrics.collections
from ragas.metrics._context_recall import IDBasedContextRecall
from ragas.metrics.collections import NonLLMStringSimilarity, RougeScore, SemanticSimilarity

from docent.evaluate.cases import EvalCase
from docent.evaluate.embeddings import LocalEmbeddings
from docent.evaluate.metrics import retrieval_scores
from docent.generate.citations import ground, grounding_texts, markers
from docent.generate.local import NO_ANSWER

Scores = dict[str, float | None]
WINDOW_WORDS = 150  # about the 256 word pieces MiniLM reads


class NoModelScorer:
    def __init__(self, embed: Callable[[list[str]], np.ndarray], k: int, grounding_threshold: float = 0.5):
        self.embeddings = LocalEmbeddings(embed)
        self.k = k
        self.grounding_threshold = grounding_threshold
        self._semantic = SemanticSimilarity(embeddings=self.embeddings)
        self._string = NonLLMStringSimilarity()
        self._rouge = RougeScore(rouge_type="rougeL", mode="fmeasure")
        self._id_precision, self._id_recall = IDBasedContextPrecision(), IDBasedContextRecall()

    def score(self, cases: list[EvalCase]) -> list[Scores]:
        """Scores for each case, in order; the run's texts are embedded in one batch first."""
        self.embeddings.prefetch(t for c in cases for t in (c.answer, c.reference, *windows(c.reference_contexts)) if t)
        self.embeddings.prefetch(t for c in cases if c.reference_contexts for t in c.contexts)
        self.embeddings.prefetch(t for c in cases if c.grounding is None and not c.failed for t in grounding_texts(c.answer, c.sources))
        return asyncio.run(self._score_all(cases))

    async def _score_all(self, cases: list[EvalCase]) -> list[Scores]:
        return [await self._score(c) for c in cases]

    async def _score(self, case: EvalCase) -> Scores:
        out: Scores = {"answered": None if case.failed else float(case.answer.strip() != NO_ANSWER)}
        out |= await self._retrieval(case)
        out["context_similarity"] = self._context_similarity(case)
        answered = bool(out["answered"])
        has_reference = bool(case.reference) and not case.failed  # a refusal of a referenced question scores low, not None
        for name, metric in (("semantic_similarity", self._semantic), ("string_similarity", self._string),
                             ("rouge_l", self._rouge)):
            out[name] = float((await metric.ascore(reference=case.reference, response=case.answer)).value) if has_reference else None
        out["grounding"] = self.grounding(case) if answered else None
        out["citation_validity"] = citation_validity(case) if answered else None
        return out

    async def _retrieval(self, case: EvalCase) -> Scores:
        if not case.reference_ids and case.reference_contexts:  # the evidence is nowhere in this index: nothing was found
            return dict.fromkeys(("precision@k", "recall@k", "hit@k", "mrr", "ndcg@k", "id_context_precision", "id_context_recall"), 0.0)
        out = retrieval_scores(case.retrieved_ids, case.reference_ids, self.k)
        if case.reference_ids and case.retrieved_ids:  # the async API: the sync one patches asyncio (nest_asyncio) in a loop
            sample = SingleTurnSample(retrieved_context_ids=case.retrieved_ids[: self.k], reference_context_ids=case.reference_ids)
            out["id_context_precision"] = float(await self._id_precision.single_turn_ascore(sample))
            out["id_context_recall"] = float(await self._id_recall.single_turn_ascore(sample))
        else:
            out["id_context_precision"] = out["id_context_recall"] = None
        return out

    def _context_similarity(self, case: EvalCase) -> float | None:
        """Mean over reference-context windows of the best cosine to a retrieved chunk (LlamaIndex's context similarity,
        by windows: the model reads only the first 256 word pieces of a text, and reference contexts are often pages)."""
        if not case.reference_contexts or not case.sources:
            return None
        retrieved = np.stack([self.embeddings.vector(t) for t in case.contexts[: self.k]])
        return float(np.mean([np.max(retrieved @ self.embeddings.vector(w)) for w in windows(case.reference_contexts)]))

    def grounding(self, case: EvalCase) -> float | None:
        """Share of supported sentences: the chat's own verdicts when stored, else computed the same way."""
        rows = case.grounding
        if rows is None:
            if not case.sources:
                return None
            rows = [s.__dict__ for s in ground(case.answer, case.sources, self.embeddings.embed_many, self.grounding_threshold)]
        return sum(bool(r["supported"]) for r in rows) / len(rows) if rows else None


def windows(texts: list[str], size: int = WINDOW_WORDS) -> list[str]:
    """Each text cut into runs of ``size`` words (short texts stay whole)."""
    out = []
    for text in texts:
        words = text.split()
        out += [" ".join(words[i : i + size]) for i in range(0, len(words), size)] or [text]
    return out


def citation_validity(case: EvalCase) -> float | None:
    """Share of ``[n]`` markers that name a retrieved chunk; None for an answer without markers."""
    cited = markers(case.answer)
    known = {s.n for s in case.sources}
    return sum(n in known for n in cited) / len(cited) if cited else None
