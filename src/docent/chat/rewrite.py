"""Follow-up questions rewritten into standalone ones before retrieval.

"And for New York?" retrieves nothing useful on its own. With ``chat.rewrite_model`` set, that
model rewrites the follow-up from the recent turns; otherwise (and whenever that call fails) a
local rule carries the previous question along when the follow-up leans on it. A question that only
looks like a follow-up ("What is the home office stipend and when is it paid?" after a question on a
robot) is a new topic: rewritten, it would be searched and answered as the previous one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

import litellm
import numpy as np

from docent.generate.errors import map_error
from docent.generate.llm import prompt_hash
from docent.lexical import content_words

log = logging.getLogger("docent.chat")

_LEANS = re.compile(
    r"^\s*(and|or|but|also|so|what about|how about|what else|why|how come|same)\b"
    r"|\b(it|its|they|them|their|this|that|these|those|he|she|him|her|(?<!is )(?<!are )there|the same|one)\b",
    re.I,
)  # "is there a dress code?" asks whether one exists: that "there" points at no earlier place
_WORD = re.compile(r"\w+")
MIN_OWN_WORDS = 3  # content words a question needs to name a subject of its own ("what about its price?" has one)

REWRITE_PROMPT = """Rewrite the last question so it can be understood without the conversation.
Keep its meaning and language; do not answer it. Reply with the rewritten question only.

Conversation:
{history}

Last question: {question}"""


def needs_context(question: str) -> bool:
    """A short question, or one that opens with a connector or uses a pronoun, leans on earlier turns."""
    return len(_WORD.findall(question)) <= 3 or bool(_LEANS.search(question))


def changes_topic(question: str, history: list[tuple[str, str]], embed: Callable[[list[str]], np.ndarray],
                  threshold: float) -> bool:
    """True when ``question`` names a subject of its own and is unlike the last turn: its cosine with both
    the last question and the last answer is below ``threshold``. A question naming too little to stand
    alone ("what about its price?") is a follow-up whatever its cosine: short questions score low anyway."""
    if threshold <= 0 or len(content_words(question)) < MIN_OWN_WORDS:
        return False
    turn = [next((text for r, text in reversed(history) if r == role), "") for role in ("user", "assistant")]
    turn = [text for text in turn if text.strip()]
    if not turn:
        return False
    vectors = embed([question, *turn])  # unit vectors
    return float(np.max(vectors[1:] @ vectors[0])) < threshold


def local_rewrite(question: str, history: list[tuple[str, str]]) -> str:
    previous = next((text for role, text in reversed(history) if role == "user"), "")
    if not previous or not needs_context(question):
        return question
    return f"{question.strip()} (following: {previous.strip()})"


async def rewrite(question: str, history: list[tuple[str, str]], model: str | None, timeout_s: float,
                  embed: Callable[[list[str]], np.ndarray] | None = None, topic_threshold: float = 0.0,
                  ) -> tuple[str, dict | None]:
    """The standalone question, and a trace of the model call when one was made.

    With ``embed``, a question that changes the topic (see :func:`changes_topic`) is kept as it is.
    """
    if not history or not needs_context(question):
        return question, None
    if embed is not None and await asyncio.to_thread(changes_topic, question, history, embed, topic_threshold):
        log.info("a new topic, not rewritten as a follow-up: %r", question[:80])
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
