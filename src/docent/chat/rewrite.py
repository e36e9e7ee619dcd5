"""Follow-up questions rewritten into standalone ones before retrieval.

"And for New York?" retrieves nothing useful on its own. With ``chat.rewrite_model`` set, that
model rewrites the follow-up from the recent turns; otherwise (and whenever that call fails) a
local rule carries the previous question along when the follow-up leans on it.
"""

from __future__ import annotations

import logging
import re
import time

import litellm

from docent.generate.errors import map_error
from docent.generate.llm import prompt_hash

log = logging.getLogger("docent.chat")

_LEANS = re.compile(
    r"^\s*(and|or|but|also|so|what about|how about|what else|why|how come|same)\b"
    r"|\b(it|its|they|them|their|this|that|these|those|he|she|him|her|there|the same|one)\b",
    re.I,
)
_WORD = re.compile(r"\w+")

REWRITE_PROMPT = """Rewrite the last question so it can be understood without the conversation.
Keep its meaning and language; do not answer it. Reply with the rewritten question only.

Conversation:
{history}

Last question: {question}"""


def needs_context(question: str) -> bool:
    """A short question, or one that opens with a connector or uses a pronoun, leans on earlier turns."""
    return len(_WORD.findall(question)) <= 3 or bool(_LEANS.search(question))


def local_rewrite(question: str, history: list[tuple[str, str]]) -> str:
    previous = next((text for role, text in reversed(history) if role == "user"), "")
    if not previous or not needs_context(question):
        return question
    return f"{question.strip()} (following: {previous.strip()})"


async def rewrite(question: str, history: list[tuple[str, str]], model: str | None, timeout_s: float) -> tuple[str, dict | None]:
    """The standalone question, and a trace of the model call when one was made."""
    if not history or not needs_context(question):
        return question, None
    if not model:
        return local_rewrite(question, history), None
    transcript = "\n".join(f"{role}: {text}" for role, text in history)
    messages = [{"role": "user", "content": REWRITE_PROMPT.format(history=transcript, question=question)}]
    started = time.perf_counter()
    trace = {"kind": "rewrite", "model": model, "parameters": {"temperature": 0}, "prompt_hash": prompt_hash(messages)}
    try:
        response = await litellm.acompletion(model=model, messages=messages, temperature=0, timeout=timeout_s, num_retries=0)
        text = (response.choices[0].message.content or "").strip()
        usage = getattr(response, "usage", None)
        trace.update(prompt_tokens=getattr(usage, "prompt_tokens", None), completion_tokens=getattr(usage, "completion_tokens", None))
    except Exception as exc:
        err = map_error(exc, model)
        log.warning("rewriting the follow-up with %s failed (%s); using the local rule", model, err.code)
        trace["error"] = err.code
        text = ""
    trace["latency_ms"] = (time.perf_counter() - started) * 1000
    return (text or local_rewrite(question, history)), trace
