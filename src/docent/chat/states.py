"""The life of one answer: queued → streaming → completed | cancelled | failed(code).

Every change of state goes through :func:`check`, and the store applies it as a conditional
update (``WHERE state IN allowed_from(to)``), so two processes can never both move a message.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    STREAMING = "streaming"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


TERMINAL = frozenset({State.COMPLETED, State.CANCELLED, State.FAILED})

_NEXT: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.STREAMING, State.CANCELLED, State.FAILED}),
    State.STREAMING: frozenset({State.COMPLETED, State.CANCELLED, State.FAILED}),
    State.COMPLETED: frozenset(),
    State.CANCELLED: frozenset(),
    State.FAILED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A state change the machine does not allow (e.g. completed → streaming)."""


def check(current: str, to: str) -> State:
    """The target state, or :class:`IllegalTransition` naming both ends."""
    src, dst = State(current), State(to)
    if dst not in _NEXT[src]:
        raise IllegalTransition(f"a message cannot go from {src} to {dst}")
    return dst


def allowed_from(to: str) -> frozenset[State]:
    """The states a message may be in to move to ``to``."""
    dst = State(to)
    return frozenset(s for s, nxt in _NEXT.items() if dst in nxt)
