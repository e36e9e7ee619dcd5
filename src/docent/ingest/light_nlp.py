"""A regex stand-in for ``unstructured.nlp.tokenize`` (which needs spaCy's ``en_core_web_sm``).

unstructured pip-installs that model from GitHub at first use, which fails offline, and importing
spaCy also imports torch (~5 s). Only its paragraph classifier asks these questions (is this a
sentence? does it have a verb?), so regexes answer: offline, deterministic, ~100x faster.
``install()`` must run before unstructured's partitioners are imported.
"""

from __future__ import annotations

import re
import sys

_WORD_RE = re.compile(r"\w+(?:['’.-]\w+)*|[^\w\s]")
_SENT_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+")
_PROSE_END_RE = re.compile(r"\w[\"'”’)\]]*[.!?][\"'”’)\]]*$")
_AUXILIARIES = frozenset("""am is are was were be been being has have had do does did will
    would shall should can could may might must""".split())
_PAST = frozenset("""grew rose fell began became brought bought built came found gave got held
    kept knew led left made met paid put ran said saw sold sent spent stood told took went won
    wrote""".split())


def _pos_tag(text: str) -> list[tuple[str, str]]:
    """Only "is there a verb?" is ever asked. Yes for an auxiliary, for a past form after the
    first word ("Revenue grew 14%", "We hired 12" but not "Extended leave"), and for a sentence
    ending in . ! or ? (headings rarely do). Base forms are left out: "Parental leave"."""
    words = _WORD_RE.findall(text)
    tags = [(w, "VB" if w.lower() in _AUXILIARIES or i and (w.lower() in _PAST or len(w) > 4
                                                            and w.endswith("ed")) else "NN")
            for i, w in enumerate(words)]
    if len(words) > 3 and _PROSE_END_RE.search(text.rstrip()):
        tags[-1] = (tags[-1][0], "VB")
    return tags


def install() -> None:
    """Serve unstructured's tokenizers from regexes before it imports spaCy (and torch, ~5 s)."""
    import types

    module = sys.modules.get("unstructured.nlp.tokenize") or types.ModuleType(
        "unstructured.nlp.tokenize")
    sys.modules["unstructured.nlp.tokenize"] = module
    for target in (module, sys.modules.get("unstructured.partition.text_type")):
        if target is not None:
            target.word_tokenize, target.pos_tag = _WORD_RE.findall, _pos_tag
            target.sent_tokenize = lambda text: [s for s in _SENT_RE.split(text.strip()) if s]

