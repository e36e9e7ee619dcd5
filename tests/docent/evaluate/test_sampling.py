"""Sampling production answers: risky ones always, every stratum represented, the cap respected."""

from __future__ import annotations

from collections import Counter

from docent.evaluate.sampling import Candidate, choose, route


def pool() -> list[Candidate]:
    plain = [Candidate(f"g{i}", "generated|auto") for i in range(200)]
    cached = [Candidate(f"c{i}", "cache|auto") for i in range(20)]
    rare = [Candidate("f0", "follow-up|sample")]
    risky = [Candidate("bad1", "generated|auto", ("thumbs_down",)), Candidate("bad2", "cache|auto", ("rejected", "low_grounding"))]
    return plain + cached + rare + risky


def test_risky_answers_are_always_taken_and_each_stratum_is_sampled():
    picked = choose(pool(), rate=0.1, cap=1000, seed=1)
    ids = [c.message_id for c, _ in picked]
    assert len(ids) == len(set(ids))
    reasons = {c.message_id: r for c, r in picked}
    assert reasons["bad1"] == ["thumbs_down"] and reasons["bad2"] == ["rejected", "low_grounding"]
    strata = Counter(c.stratum for c, r in picked if r == ["random"])
    assert strata == {"generated|auto": 20, "cache|auto": 2, "follow-up|sample": 1}


def test_the_cap_keeps_risky_first_and_every_stratum():
    picked = choose(pool(), rate=0.5, cap=10, seed=1)
    assert len(picked) == 10
    assert [c.message_id for c, _ in picked[:2]] == ["bad1", "bad2"]
    assert {c.stratum for c, r in picked if r == ["random"]} == {"generated|auto", "cache|auto", "follow-up|sample"}


def test_same_seed_same_sample_and_rate_zero_takes_only_risky():
    assert choose(pool(), 0.2, 100, seed=7) == choose(pool(), 0.2, 100, seed=7)
    assert [c.message_id for c, _ in choose(pool(), 0.0, 100, seed=7)] == ["bad1", "bad2"]


def test_route_names_cache_hits_and_rewritten_follow_ups():
    assert route(True, "q", None) == "cache"
    assert route(False, "and in Lyon?", "What is the hotel cap in Lyon?") == "follow-up"
    assert route(False, "What is it?", "What is it?") == "generated"
