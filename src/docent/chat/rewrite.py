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
from dataclasses import dataclass

import litellm
import numpy as np

from docent.generate.citations import split_sentences, strip_markers
from docent.generate.errors import map_error
from docent.generate.llm import prompt_hash
from docent.lexical import STOPWORDS, content_words

log = logging.getLogger("docent.chat")

_OPENERS = r"and|or|but|also|so|what about|how about|what else|same"  # "And how many…?" goes on from the last turn
_REFERENCES = ("it", "its", "they", "them", "their", "this", "that", "these", "those", "he", "she", "him", "his", "her")
_CONNECTOR = re.compile(rf"^\s*(?:{_OPENERS})\b", re.I)
_LEANS = re.compile(
    rf"^\s*(?:{_OPENERS}|why|how come)\b"
    rf"|\b(?:{'|'.join(_REFERENCES)}|(?<!is )(?<!are )there|the same|one)\b",
    re.I,
)  # "is there a dress code?" asks whether one exists: that "there" points at no earlier place
_CLAUSE = re.compile(r"[,;]|\b(?:and|or|but)\b", re.I)
_WORD = re.compile(r"\w+")
ANSWER_OPENING_CHARS = 200  # at most, of the last answer's first sentence compared with a new question
MIN_OWN_WORDS = 3  # content words a question needs to name a subject of its own ("what about its price?" has one)

REWRITE_PROMPT = """Rewrite the last question so it can be understood without the conversation.
Keep its meaning and language; do not answer it. Reply with the rewritten question only.

Conversation:
{history}

Last question: {question}"""


def needs_context(question: str) -> bool:
    """A short question, or one that opens with a connector or uses a pronoun, leans on earlier turns."""
    return len(_WORD.findall(question)) <= 3 or bool(_LEANS.search(question))


def refers_back(question: str) -> bool:
    """True when the question points at an earlier turn: it opens with a connector ("And how many units…?") or
    its first clause uses a pronoun it has not named ("What is its battery life…?", "How much does it cost…?").
    A pronoun in a later clause may point at the first one's subject ("What is the stipend and when is it paid?"),
    and a "that" after a content word opens a relative clause ("the plan that covers…"): neither refers back."""
    if _CONNECTOR.match(question):
        return True
    words = _WORD.findall(_CLAUSE.split(question, maxsplit=1)[0].lower())
    return any(w in _REFERENCES and (w != "that" or i == 0 or words[i - 1] in STOPWORDS) for i, w in enumerate(words))


def new_topic(question: str, history: list[tuple[str, str]], embed: Callable[[list[str]], np.ndarray],
              threshold: float) -> np.ndarray | None:
    """The question's vector when it opens a new topic, else None.

    A new topic names a subject of its own, does not refer back (:func:`refers_back`) and is unlike the last turn:
    its cosine with the last question and with the opening of the last answer is below ``threshold``. Only the
    opening is compared: it says what the answer is about, and encoding the whole answer would delay the first token.
    A question naming too little to stand alone ("what about its price?") is a follow-up: short questions score low.
    """
    if threshold <= 0 or refers_back(question) or len(content_words(question)) < MIN_OWN_WORDS:
        return None
    asked, answered = (next((text for r, text in reversed(history) if r == role), "") for role in ("user", "assistant"))
    opening = strip_markers(next(iter(split_sentences(answered)), ""))[:ANSWER_OPENING_CHARS]
    turn = [text for text in (asked, opening) if text.strip()]
    if not turn:
        return None
    vectors = embed([question, *turn])  # unit vectors
    return vectors[0] if float(np.max(vectors[1:] @ vectors[0])) < threshold else None


def local_rewrite(question: str, history: list[tuple[str, str]]) -> str:
    previous = next((text for role, text in reversed(history) if role == "user"), "")
    if not previous or not needs_context(question):
        return question
    return f"{question.strip()} (following: {previous.strip()})"


@dataclass(frozen=True)
class Rewritten:
    """The question to search; the trace of the model call when one was made; the question's query vector when
    it was computed here (a new topic, kept as asked), so the caller need not embed the same text again."""

    question: str
    trace: dict | None = None
    vector: np.ndarray | None = None


async def rewrite(question: str, history: list[tuple[str, str]], model: str | None, timeout_s: float,
                  embed: Callable[[list[str]], np.ndarray] | None = None, topic_threshold: float = 0.0,
                  ) -> Rewritten:
    """The standalone question. With ``embed``, a question that opens a new topic (see :func:`new_topic`) is kept
    as it is."""
    if not history or not needs_context(question):
        return Rewritten(question)
    if embed is not None and (
        vector := await asyncio.to_thread(new_topic, question, history, embed, topic_threshold)
    ) is not None:
        log.info("a new topic, not rewritten as a follow-up: %r", question[:80])
        return Rewritten(question, vector=vector)
    if not model:
        return Rewritten(local_rewrite(question, history))
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
    return Rewritten(text or local_rewrite(question, history), trace)
