"""Content words: what lexical matching compares, in one place (the local answerer's sentence overlap,
citations, follow-up detection and retrieval's heading prior all read words the same way)."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

STOPWORDS = frozenset("""a an and are as at be been but by can could did do does for from get gets got had has have
    how i if in into is it its me my of on or our per should so than that the their them then there these they this
    to up us was we were what when where which who whom whose why will with would you your about after before any
    many much some tell please give know every each all not no nor""".split())
_WORD = re.compile(r"[a-z0-9]+(?:[.,'’][a-z0-9]+)*")
_PREFIXED_YEAR = re.compile(r"[a-z]{1,2}((?:19|20)\d\d)")  # "fy2018", "q2024"


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stopwords, plural "s" dropped, a prefixed year ("FY2018") as the year."""
    out = set()
    for w in _WORD.findall(text.lower().replace("’", "'")):
        w = w.removesuffix("'s")
        if w in STOPWORDS:
            continue
        if year := _PREFIXED_YEAR.fullmatch(w):
            w = year.group(1)
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return out


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball's English stem: "operations", "operating" -> "oper"; "inventories" -> "inventori"."""
    return _STEMMER.stemWord(word)


def stems(text: str) -> set[str]:
    """The stems of ``text``'s content words: matching that a heading's wording cannot dodge."""
    return {stem(w) for w in content_words(text)}
