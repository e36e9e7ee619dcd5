"""Who may do what: the roles, the actions they allow, and the principal every command carries.

This module is the one place that maps roles to permissions. The app, the CLI (and the HTTP API)
ask :func:`allowed` or :func:`require` with an :class:`Action`; they never compare roles inline.
Ownership is the other half: a conversation belongs to the user who started it, and nobody reads
another person's conversations (reviewers see an answer only as a review item, analysts only in
evaluation drill-downs). Conversations from before owners were recorded belong to
:data:`LEGACY_OWNER`, which only admins see.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

LEGACY_OWNER = "legacy"  # conversations recorded before owners were: admins only


class Role(StrEnum):
    MEMBER = "member"  # asks, reads and rates their own conversations
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class Action(StrEnum):
    ASK = "ask"  # start, stream, cancel, rate and send to review one's own answers; read one's conversations
    READ_REVIEW = "read_review"  # the review queue and its items
    DECIDE_REVIEW = "decide_review"  # claim, release, approve, edit, reject
    READ_EVALUATION = "read_evaluation"  # dashboards, drill-downs, alerts
    READ_INGESTION = "read_ingestion"  # what is indexed, quarantined, and why
    MANAGE_INGESTION = "manage_ingestion"  # start an ingestion
    MANAGE_USERS = "manage_users"  # add, disable, re-enable, change roles and passwords
    READ_LEGACY = "read_legacy"  # conversations that have no known owner
    READ_ALL_USAGE = "read_all_usage"  # everyone's token use and cost (each person always sees their own)


# Only reviewers decide reviews (admins may not), so every decision has a reviewer's name on it.
POLICY: dict[Role, frozenset[Action]] = {
    Role.MEMBER: frozenset({Action.ASK}),
    Role.REVIEWER: frozenset({Action.ASK, Action.READ_REVIEW, Action.DECIDE_REVIEW, Action.READ_INGESTION,
                              Action.MANAGE_INGESTION}),
    Role.ANALYST: frozenset({Action.ASK, Action.READ_REVIEW, Action.READ_EVALUATION, Action.READ_INGESTION}),
    Role.ADMIN: frozenset({Action.ASK, Action.READ_REVIEW, Action.READ_EVALUATION, Action.READ_INGESTION,
                           Action.MANAGE_INGESTION, Action.MANAGE_USERS, Action.READ_LEGACY, Action.READ_ALL_USAGE}),
}


class PermissionDenied(PermissionError):
    """The principal may not do this; the message says which role would."""


@dataclass(frozen=True)
class Principal:
    """Who issues a command: a user of the app, the CLI's local user, or a service account."""

    id: str
    username: str
    role: Role
    disabled: bool = False

    def __post_init__(self) -> None:  # a role that does not exist is refused here, naming the ones that do
        object.__setattr__(self, "role", parse_role(self.role))


def service_account(name: str) -> Principal:
    """A program asking on its own behalf (evaluation runs, benchmarks): a member named ``service:<name>``."""
    return Principal(id=f"service:{name}", username=name, role=Role.MEMBER)


def parse_role(value: str | Role) -> Role:
    """The role named ``value``; ValueError naming the roles that exist otherwise."""
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"unknown role {value!r}; choose one of {', '.join(r.value for r in Role)}") from None


def allowed(principal: Principal | None, action: Action) -> bool:
    """Whether ``principal`` (signed in and enabled) may do ``action``."""
    return principal is not None and not principal.disabled and action in POLICY.get(principal.role, frozenset())


def require(principal: Principal | None, action: Action) -> Principal:
    """The principal when :func:`allowed`; PermissionDenied saying why otherwise."""
    roles = " or ".join(r.value for r, actions in POLICY.items() if action in actions)
    if principal is None:
        raise PermissionDenied(f"this needs the {roles} role: sign in first")
    if principal.disabled:
        raise PermissionDenied(f"the account {principal.username!r} is disabled")
    if not allowed(principal, action):
        raise PermissionDenied(f"this needs the {roles} role ({principal.username!r} has the {principal.role.value} role)")
    return principal


def visible_owners(principal: Principal) -> frozenset[str]:
    """Whose conversations ``principal`` may list and open: their own, and the legacy ones for admins."""
    require(principal, Action.ASK)
    return frozenset({principal.id, LEGACY_OWNER}) if allowed(principal, Action.READ_LEGACY) else frozenset({principal.id})


class Refused(Exception):
    """A credential refused (a session cookie, an API key): ``reason`` is a key of the subclass's MESSAGES,
    and the message is safe to show to whoever presented it."""

    MESSAGES: ClassVar[dict[str, str]] = {}

    def __init__(self, reason: str):
        super().__init__(self.MESSAGES[reason])
        self.reason = reason


def standing(account: Any) -> Principal | str:
    """Who a stored account (a ``users`` row, or None once deleted) acts as now, or why it may not:
    ``deleted``, ``disabled``, or ``role`` (a role edited by hand, or written by a newer version)."""
    if account is None:
        return "deleted"
    if account.disabled:
        return "disabled"
    if account.role not in set(Role):
        return "role"
    return Principal(id=account.id, username=account.username, role=Role(account.role))
