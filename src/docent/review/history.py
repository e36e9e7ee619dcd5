"""A review item's audit trail as a person reads it: who did what, and how the answer changed.

The audit rows keep machine-readable before/after dicts (see :class:`docent.review.queue.ReviewAction`);
a reviewer wants a sentence per action and, for a correction, the words taken out and put in.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from docent.review.queue import ReviewAction

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Change:
    """A run of words the correction kept, removed or added (whitespace included, so runs join back to text)."""

    op: Literal["same", "removed", "added"]
    text: str


def what(action: ReviewAction) -> str:
    """One sentence for an audit action, e.g. ``rejected it (unsupported): cites the wrong policy``."""
    after = action.after or {}
    if action.action == "claim":
        until = after.get("claim_expires_at")
        return f"claimed it (until {datetime.fromisoformat(until):%H:%M} UTC)" if until else "claimed it"
    if action.action == "release":
        return "released it back to the queue"
    if action.action == "approve":
        return "approved the answer as it was"
    if action.action == "edit":
        return "corrected the answer and approved it"
    if action.action == "reject":
        note = after.get("note")
        return f"rejected it ({after.get('category', 'no category')})" + (f": {note}" if note else "")
    return action.action


def answer_change(action: ReviewAction) -> list[Change] | None:
    """The words the action changed in the answer; None when it left the answer as it was."""
    before, after = (action.before or {}).get("answer"), (action.after or {}).get("answer")
    if before is None or after is None or before == after:
        return None
    return word_diff(before, after)


def word_diff(before: str, after: str) -> list[Change]:
    """``before`` turned into ``after``, word by word."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    out: list[Change] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Change("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            out.append(Change("removed", "".join(old[i1:i2])))
        if j2 > j1:
            out.append(Change("added", "".join(new[j1:j2])))
    return out
