"""Which production answers a continuous run scores.

Risky answers are always taken (a thumbs-down, a rejection by a reviewer, low grounding); the rest
are sampled at ``rate`` within each stratum (route × review policy), so rare routes are seen too.
When the run's cap is smaller than that, the risky ones come first and the remainder is spread
over the strata in proportion to their size.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

ALWAYS = ("thumbs_down", "rejected", "low_grounding")


@dataclass(frozen=True)
class Candidate:
    message_id: str
    stratum: str  # "<route>|<policy>", e.g. "generated|auto", "cache|always", "follow-up|low_grounding"
    flags: tuple[str, ...] = field(default=())  # which of ALWAYS apply


def route(cache_hit: bool, question: str | None, standalone: str | None) -> str:
    if cache_hit:
        return "cache"
    if standalone and question and standalone.strip() != question.strip():
        return "follow-up"  # rewritten from the conversation before retrieval
    return "generated"


def choose(candidates: list[Candidate], rate: float, cap: int, seed: int | None = None) -> list[tuple[Candidate, list[str]]]:
    """(candidate, why it was picked) for the answers to score, risky ones first, at most ``cap``."""
    rng = random.Random(seed)
    risky = [c for c in candidates if c.flags]
    by_stratum: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if not c.flags:
            by_stratum[c.stratum].append(c)
    picked = [(c, list(c.flags)) for c in risky[:cap]]
    room = cap - len(picked)
    wanted = {s: min(len(cs), math.ceil(rate * len(cs))) for s, cs in by_stratum.items() if rate > 0}
    total = sum(wanted.values())
    if total > room:  # shrink every stratum in proportion, keeping one from each while there is room
        shares = {s: max(1, math.floor(n * room / total)) if room else 0 for s, n in wanted.items()}
        while sum(shares.values()) > room:
            biggest = max(shares, key=shares.get)
            shares[biggest] -= 1
        wanted = shares
    for stratum, n in sorted(wanted.items()):
        picked += [(c, ["random"]) for c in rng.sample(by_stratum[stratum], n)]
    return picked
