"""The golden-set evaluation as a promotion gate: a candidate index version goes live only if the golden
set, answered over it, meets ``evaluation.gate`` and does not regress from earlier golden runs (a run with not
enough data to say does not meet it: a gate metric determined for too few answers, or none of them measured)."""

from __future__ import annotations

import logging

from docent.evaluate.golden_set import GoldenSetError
from docent.evaluate.results import RunStatus
from docent.evaluate.suites import run_golden
from docent.index.promotion import Gate
from docent.index.versions import IndexVersion

log = logging.getLogger("docent.evaluate.gate")


def golden_gate(ws, golden: str | None = None) -> Gate:
    def gate(candidate: IndexVersion) -> list[str]:
        try:
            run = run_golden(ws, golden, candidate.version)
        except GoldenSetError as exc:  # no golden set yet: say so, and do not block the promotion on it
            log.warning("promotion of %s is not gated by a golden set: %s", candidate.version, exc)
            return []
        log.info("golden gate on %s: run %s %s", candidate.version, run.id, run.status.label)
        reasons = run.config["not_enough_data"] if run.status == RunStatus.NOT_ENOUGH_DATA else run.findings or []
        return [f"golden set {run.golden_set} (run {run.id[:8]}): {r['message']}" for r in reasons]

    return gate
