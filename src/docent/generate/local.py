"""``local/extractive``: the default model, an extractive answerer that needs no network and no weights.

It reads the prompt back (:func:`parse_prompt`), splits the numbered sources into sentences, scores
each against the question (cosine of sentence embeddings blended with the overlap of content words,
or the overlap alone without an embedder) and answers with the best few sentences, each ending with
its source marker. Below the relevance threshold it says it does not know rather than guess, so the
app stays honest (and testable end to end) without any LLM configured.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import litellm
import numpy as np
from litellm import CustomLLM
from litellm.types.utils import GenericStreamingChunk, ModelResponse

from docent.generate.prompts import parse_prompt, split_picture
from docent.generate.providers import fill_response, final_chunk, prompt_tokens, register_provider, text_chunk, words
from docent.ingest.identity import HEADER_PREFIX, describe, identity_line
from docent.ingest.table import SEPARATOR
from docent.lexical import STOPWORDS, content_words

NO_ANSWER = "I don't know: the retrieved documents do not answer this question."
EMBED_WEIGHT = 0.7  # of the cosine; the rest is the lexical overlap
MAX_EMBEDDED = 16  # sentences embedded per question (the ones sharing most words with it)
# Measured on samples/acme with the 5 chunks MiniLM retrieves: the right sentence scored 0.53-0.89 (17 questions),
# the best sentence for off-topic questions at most 0.46 (10 of 11; "the dress code for the Singapore office"
# reaches 0.60 through the office table's column names). Lexically: right 0.5-1.0, off-topic at most 0.33.
MIN_SCORE = 0.5
MIN_LEXICAL = 0.5
KEEP_RATIO = 0.8  # later sentences must score at least this share of the best one
DUPLICATE = 0.8  # word-set Jaccard above which two sentences say the same (overlapping chunks)

Embed = Callable[[list[str]], np.ndarray]

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]*[A-Z0-9])")
_ABBREVIATIONS = frozenset("e.g i.e etc inc ltd co corp jr mr mrs ms dr st vs no fig approx dept".split())
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*•+]\s+|\d{1,2}[.)]\s+(?=\D))")
_TERMINAL = re.compile(r"[.!?;:][\"'”’)\]]*$")



@dataclass(frozen=True)
class Sentence:
    """A quotable sentence of source ``n`` (``position``: its index in that source, for order and ties)."""

    n: int
    position: int
    text: str
    heading: str  # the heading line above it in the same source: context for the score
    document: frozenset[str] = frozenset()  # content words of its source's identity line (which document)


def split_prose(line: str) -> list[str]:
    """``line`` cut at sentence ends, not after abbreviations ("e.g.", "Inc.") or initials."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(line):
        last = line[start : m.start()].rstrip("\"'”’)]").split()[-1].rstrip(".").lower()
        if last in _ABBREVIATIONS or len(last) == 1 and last.isalpha():
            continue
        out.append(line[start : m.start()])
        start = m.end()
    return [p.strip() for p in [*out, line[start:]] if p.strip()]


def _is_heading(line: str) -> bool:
    """A short line without closing punctuation ("Hotels", "Parental leave"), or an FAQ question;
    not a short "label: value" line ("Security: security@acme.example")."""
    return line.endswith("?") or (len(line.split()) <= 6 and not _TERMINAL.search(line) and ":" not in line)


def _rows(block: list[list[str]]) -> list[str]:
    """Table rows read as a sentence: "Total revenues: 12,345 (Three Months Ended › June 30, 2024),
    11,000 (… 2023)"; the first row is the header (a lone row, e.g. the tail of a table split across
    chunks, is kept as it is)."""
    if len(block) == 1:
        return ["; ".join(c for c in block[0] if c)]
    header = block[0]
    out = []
    for cells in block[1:]:
        heads = header + [""] * (len(cells) - len(header))
        label, values = (cells[0], list(zip(heads[1:], cells[1:]))) if cells else ("", [])
        said = ", ".join(f"{c} ({h})" if h and h != c else c for h, c in values if c)
        out.append(f"{label}: {said}" if label and said else label or said)
    return out


def _unwrap(lines: list[str]) -> list[str]:
    """Hard-wrapped prose joined back: a line continues the previous one when it starts in lower case
    or the previous one stops on a word no sentence ends with ("replaced every" / "3 years.")."""
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        prev = out[-1].rstrip() if out else ""
        joins = (prev and stripped and " | " not in prev and not prev.lstrip().startswith("#")
                 and not _MARKUP.match(line) and not _TERMINAL.search(prev))
        if joins and (stripped[0].islower() or prev.rsplit(None, 1)[-1].lower() in STOPWORDS):
            out[-1] = f"{prev} {stripped}"
        else:
            out.append(line)
    return out


def _is_row(line: str) -> bool:
    """A table line as the chunker writes it (:data:`docent.ingest.table.SEPARATOR` between cells)."""
    return SEPARATOR in line or line.endswith(SEPARATOR.rstrip())


def _cells(line: str) -> list[str]:
    """A table line's cells. The chunker joins cells with " | ", so a row label left blank (the
    header row above the labels) starts the line with "|"; a markdown row is framed by pipes."""
    framed = line.startswith("|") and line.endswith("|") and len(line) > 1
    return [c.strip() for c in (line[1:-1] if framed else line).split("|")]


def split_source(text: str) -> list[tuple[str, str]]:
    """The quotable sentences of a source as ``(sentence, heading above it)``.

    Lines are the chunker's elements: headings become context, table rows (``a | b``) are paired
    with their header row, list and heading markup is dropped, prose is cut at sentence ends. An
    unpunctuated line right above a table is its caption: a heading, however long.
    """
    out: list[tuple[str, str]] = []
    heading, table = "", []
    lines = [_MARKUP.sub("", raw).strip() for raw in _unwrap(text.splitlines())]
    for line, after in zip([*lines, ""], [*lines[1:], "", ""]):
        if line.startswith(HEADER_PREFIX):  # which document: the source's title says it, not a claim
            continue
        if _is_row(line):
            table.append(_cells(line))
            continue
        if table:
            out.extend((row, heading) for row in _rows(table) if row)
            table = []
        if not any(ch.isalnum() for ch in line):
            continue
        if _is_heading(line) or _is_row(after) and not _TERMINAL.search(line):
            heading = line
            continue
        out.extend((p, heading) for p in split_prose(line) if not p.endswith("?"))
    return out


def question_weights(question: str) -> dict[str, float]:
    """The question's content words and their weights: 1 in a sentence that asks ("…?"), 0.5 in the
    others, which instruct or set the scene ("Answer in USD millions.", "Use the cash flow statement.")."""
    parts = split_prose(" ".join(question.split()))
    asking = [p for p in parts if p.endswith("?")] or parts
    weights = {w: 0.5 for p in parts if p not in asking for w in content_words(p)}
    weights.update({w: 1.0 for p in asking for w in content_words(p)})
    return weights


def _overlap(question: dict[str, float], sentence: Sentence) -> float:
    """Weighted share of the question's content words the sentence has; one found only in its heading or
    in its document's identity (the organisation, the year) counts half."""
    total = sum(question.values())
    if not total:
        return 0.0
    own = question.keys() & content_words(sentence.text)
    around = (question.keys() & (content_words(sentence.heading) | sentence.document)) - own
    return (sum(question[w] for w in own) + 0.5 * sum(question[w] for w in around)) / total


def _cited(sentence: Sentence) -> str:
    """The sentence with its marker before the closing punctuation: "… paid leave [2]."."""
    text = sentence.text
    if text[-1] in ".!":
        return f"{text[:-1].rstrip()} [{sentence.n}]{text[-1]}"
    return f"{text.rstrip(';:,')} [{sentence.n}]."


def _similar(a: str, b: str) -> bool:
    wa, wb = content_words(a), content_words(b)
    return bool(wa | wb) and len(wa & wb) / len(wa | wb) >= DUPLICATE


class ExtractiveLLM(CustomLLM):
    """Answers by quoting the most relevant source sentences, each cited; deterministic."""

    def __init__(self, embed: Embed | None = None, max_sentences: int = 3, min_score: float | None = None) -> None:
        super().__init__()
        self.embed = embed
        self.max_sentences = max_sentences
        self.min_score = min_score if min_score is not None else MIN_SCORE if embed else MIN_LEXICAL

    def scores(self, question: str, sentences: list[Sentence]) -> np.ndarray:
        """Relevance of each sentence: 0.7 cosine + 0.3 overlap, or the overlap alone. The sentence is
        embedded under its heading ("Hotels: United States: $250 per night; …"), which names its topic."""
        q = question_weights(question)
        lexical = np.array([_overlap(q, s) for s in sentences], dtype=np.float32)
        if self.embed is None or not sentences:
            return lexical
        # Embedding is the time to first token: only the sentences sharing the most words with the question are
        # embedded. The others could reach MIN_SCORE only with a cosine above 0.7 and no word in common.
        keep = sorted(range(len(sentences)), key=lambda i: (-lexical[i], i))[:MAX_EMBEDDED]
        texts = [f"{sentences[i].heading}: {sentences[i].text}" if sentences[i].heading else sentences[i].text for i in keep]
        vectors = self.embed([question] + texts)
        scores = (1 - EMBED_WEIGHT) * lexical
        scores[keep] += EMBED_WEIGHT * (vectors[1:] @ vectors[0])
        return scores

    def pick(self, question: str, sources: list[tuple[int, str]]) -> list[Sentence]:
        """The chosen sentences: above the threshold and near the best, no repeats, at most ``max_sentences``.

        With a picture attached, its text is read both with the typed question and alone (a screenshot
        of a question, typed "Can you answer this?"), and the reading whose best sentence scores higher wins.
        """
        documents = {n: frozenset(content_words(identity_line(body))) for n, body in sources}
        sentences = [Sentence(n, i, text, heading, documents[n])
                     for n, body in sources for i, (text, heading) in enumerate(split_source(body))]
        typed, seen = split_picture(question)
        readings = [f"{typed}\n{seen}", seen] if seen else [typed]
        if not question.strip() or not sentences:
            return []
        scores = max((self.scores(q, sentences) for q in readings if q.strip()), key=lambda found: float(found.max()))
        order = sorted(range(len(sentences)), key=lambda i: (-round(float(scores[i]), 6), i))
        floor = max(self.min_score, KEEP_RATIO * float(scores[order[0]]))
        chosen: list[int] = []
        for i in order:
            if scores[i] < floor or len(chosen) == self.max_sentences:
                break
            if not any(_similar(sentences[i].text, sentences[j].text) for j in chosen):
                chosen.append(i)
        # Sources in order of their best sentence, sentences of one source in reading order.
        best_of: dict[int, int] = {}
        for rank, i in enumerate(chosen):
            best_of.setdefault(sentences[i].n, rank)
        return sorted((sentences[i] for i in chosen), key=lambda s: (best_of[s.n], s.position))

    def answer(self, messages: list[dict]) -> str:
        """The picked sentences in one paragraph; across documents, one line per document, named."""
        question, sources = parse_prompt(messages)
        picked = self.pick(question, sources)
        if not picked:
            return NO_ANSWER
        documents = {n: describe(body) for n, body in sources}
        by_document: dict[str, list[Sentence]] = {}
        for s in picked:
            by_document.setdefault(documents.get(s.n, ""), []).append(s)
        if len(by_document) < 2 or "" in by_document:
            return " ".join(_cited(s) for s in picked)
        return "\n".join(f"- {name}: " + " ".join(_cited(s) for s in said) for name, said in by_document.items())

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        return fill_response(kwargs["model_response"], model, self.answer(messages), prompt_tokens(messages))

    async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        text = await asyncio.to_thread(self.answer, messages)  # embedding is CPU work: keep the loop free
        return fill_response(kwargs["model_response"], model, text, prompt_tokens(messages))

    def streaming(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        text = self.answer(messages)
        yield from (text_chunk(w) for w in words(text))
        yield final_chunk(prompt_tokens(messages), len(text.split()))

    async def astreaming(
        self, model: str, messages: list, *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        text = await asyncio.to_thread(self.answer, messages)
        for w in words(text):
            yield text_chunk(w)
        yield final_chunk(prompt_tokens(messages), len(text.split()))


_PROCESS_PROVIDER: ExtractiveLLM | None = None


def local_provider(embed: Embed | None = None) -> ExtractiveLLM:
    """The process's ``local/extractive``: registered with litellm on first use, then reused (a second chat
    service does not touch litellm's globals again, unless something else took the ``local`` name since)."""
    global _PROCESS_PROVIDER
    registered = {item["provider"]: item["custom_handler"] for item in litellm.custom_provider_map}.get("local")
    if _PROCESS_PROVIDER is None or registered is not _PROCESS_PROVIDER:
        _PROCESS_PROVIDER = register_local_provider(embed)
    return _PROCESS_PROVIDER


def register_local_provider(embed: Embed | None = None) -> ExtractiveLLM:
    """Serve ``local/extractive`` from this process, at zero cost in litellm's accounting."""
    llm = ExtractiveLLM(embed)
    register_provider("local", llm)
    litellm.register_model({"local/extractive": {
        "litellm_provider": "local", "mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
        "cache_creation_input_token_cost": 0.0, "cache_read_input_token_cost": 0.0}})
    return llm
