"""The LLM metrics (ragas Faithfulness, AnswerRelevancy, ContextPrecision, ContextRecall) through litellm,
within a per-run budget of tokens and cost.

Every judge call goes through one metered wrapper of ``litellm.acompletion``: it adds the configured
endpoint and key, counts tokens and cost, and refuses calls once the budget is spent (calls already
in flight may overshoot it by their own size). A score the judge could not produce (invalid JSON, an
error, NaN) is None and counted: ``judge_undetermined`` is the share of those, never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, field
from importlib.metadata import version

import instructor
import litellm
from ragas.llms import InstructorLLM
from ragas.metrics.collections import AnswerRelevancy, ContextPrecision, ContextRecall, Faithfulness

from docent.evaluate.cases import EvalCase
from docent.evaluate.embeddings import LocalEmbeddings
from docent.settings import EvaluationSettings

log = logging.getLogger("docent.evaluate.judge")

MODES = {"json": instructor.Mode.JSON, "md_json": instructor.Mode.MD_JSON}  # tool calls need litellm's optional mcp
PROMPT_VERSION = f"ragas-{version('ragas')}-collections"  # ragas' own prompts: they change with its version


class BudgetSpent(RuntimeError):
    pass


@dataclass
class Spend:
    tokens: int = 0
    cost: float = 0.0
    calls: int = 0
    unpriced: int = 0  # calls litellm has no price for (a local or unknown model)
    skipped: int = 0  # metric scores not attempted because the budget was spent
    errors: dict[str, int] = field(default_factory=dict)


class Judge:
    def __init__(self, settings: EvaluationSettings, embeddings: LocalEmbeddings, concurrency: int = 4):
        if not settings.judge_model:
            raise ValueError("no judge model: set evaluation.judge_model (DOCENT_EVALUATION__JUDGE_MODEL)")
        self.settings = settings
        self.model = settings.judge_model
        self.spend = Spend()
        self._concurrency = concurrency
        extra = {"api_base": settings.judge_api_base} if settings.judge_api_base else {}
        if settings.judge_api_key:
            extra["api_key"] = settings.judge_api_key.get_secret_value()
        client = instructor.from_litellm(self._metered, mode=MODES[settings.judge_mode])
        llm = InstructorLLM(client=client, model=self.model, provider="litellm", temperature=0.0, max_tokens=1024,
                            max_retries=1, num_retries=1, **extra)
        self.metrics = {
            "faithfulness": Faithfulness(llm=llm),
            "answer_relevancy": AnswerRelevancy(llm=llm, embeddings=embeddings),
            "context_precision": ContextPrecision(llm=llm),
            "context_recall": ContextRecall(llm=llm),
        }

    def over_budget(self) -> bool:
        s = self.settings
        return self.spend.tokens >= s.max_judge_tokens or self.spend.cost >= s.max_judge_cost

    async def _metered(self, **kwargs):
        if self.over_budget():
            raise BudgetSpent(f"judge budget spent ({self.spend.tokens} tokens, ${self.spend.cost:.4f})")
        response = await litellm.acompletion(**kwargs)
        self.spend.calls += 1
        usage = getattr(response, "usage", None)
        self.spend.tokens += int(getattr(usage, "total_tokens", 0) or 0)
        try:
            self.spend.cost += float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # litellm has no price for this model: count it, spend stays in tokens
            self.spend.unpriced += 1
        return response

    def score(self, cases: list[EvalCase]) -> list[tuple[dict[str, float | None], dict[str, str]]]:
        """Per case: the judge metrics (None when undetermined or not applicable) and why each undetermined one failed."""
        async def all_cases():
            gate = asyncio.Semaphore(self._concurrency)

            async def one(case: EvalCase):
                async with gate:
                    return await self._score(case)

            return await asyncio.gather(*(one(c) for c in cases))

        return list(asyncio.run(all_cases()))

    async def _score(self, case: EvalCase) -> tuple[dict[str, float | None], dict[str, str]]:
        scores: dict[str, float | None] = {}
        errors: dict[str, str] = {}
        if case.failed or not case.answer.strip():
            return scores, errors
        inputs = {
            "faithfulness": dict(user_input=case.question, response=case.answer, retrieved_contexts=case.contexts),
            "answer_relevancy": dict(user_input=case.question, response=case.answer),
            "context_precision": dict(user_input=case.question, reference=case.reference, retrieved_contexts=case.contexts),
            "context_recall": dict(user_input=case.question, retrieved_contexts=case.contexts, reference=case.reference),
        }
        for name, kwargs in inputs.items():
            if any(v is None or v == [] for v in kwargs.values()):
                continue  # no reference or no contexts: the metric does not apply
            if self.over_budget():
                self.spend.skipped += 1
                continue
            try:
                value = (await self.metrics[name].ascore(**kwargs)).value
                scores[name] = None if value is None or math.isnan(float(value)) else float(value)
                if scores[name] is None:
                    errors[name] = "the judge's verdicts gave no score (NaN)"
            except Exception as exc:  # invalid JSON, HTTP errors, timeouts: undetermined, and counted
                cause = exc.__cause__ or exc
                if isinstance(cause, BudgetSpent):
                    self.spend.skipped += 1
                    continue
                scores[name], errors[name] = None, f"{type(cause).__name__}: {str(cause).splitlines()[0][:200] if str(cause) else ''}"
                self.spend.errors[type(cause).__name__] = self.spend.errors.get(type(cause).__name__, 0) + 1
        if scores:
            scores["judge_undetermined"] = sum(v is None for v in scores.values()) / len(scores)
        return scores, errors
