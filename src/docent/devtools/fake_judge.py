"""Scripted replies to ragas' judge prompts, for the fake model server's ``judge=`` key.

ragas asks for JSON matching a pydantic schema whose title it prints in the prompt; this answers each
schema with the scripted verdict, so the LLM metrics run end to end over HTTP with known results:
``judge=1`` makes every statement supported and every context useful (scores 1.0), ``judge=0``
the opposite (0.0), and ``judge=bad`` replies with prose, which ragas cannot parse (undetermined).
"""

from __future__ import annotations

import json
import re
from typing import Any

STATEMENTS = ["The first claim of the answer.", "The second claim of the answer."]


def _response(prompt: str) -> str:
    """The answer under judgement: the last ``"response"`` in the prompt (few-shot examples come before it)."""
    found = re.findall(r'"response":\s*"((?:[^"\\]|\\.)*)"', prompt)
    return json.loads(f'"{found[-1]}"') if found else "What is asked?"


def judge_reply(messages: list[dict[str, Any]], verdict: str) -> str:
    prompt = "\n".join(str(m.get("content") or "") for m in messages)
    if verdict == "bad":
        return "I think the answer looks fine overall."
    v = int(verdict)
    title = next((t for t in re.findall(r'"title":\s*"(\w+)"', prompt) if t.endswith("Output")), "")
    if title == "StatementGeneratorOutput":
        reply: dict[str, Any] = {"statements": STATEMENTS}
    elif title == "NLIStatementOutput":
        reply = {"statements": [{"statement": s, "reason": "scripted", "verdict": v} for s in STATEMENTS]}
    elif title == "ContextRecallOutput":
        reply = {"classifications": [{"statement": s, "reason": "scripted", "attributed": v} for s in STATEMENTS]}
    elif title == "ContextPrecisionOutput":
        reply = {"reason": "scripted", "verdict": v}
    elif title == "AnswerRelevanceOutput":  # "asks back" the answer itself: relevancy = cosine(answer, question)
        reply = {"question": _response(prompt), "noncommittal": 1 - v}
    else:
        raise ValueError(f"the fake judge does not know this prompt (schema {title or 'none'})")
    return json.dumps(reply)
