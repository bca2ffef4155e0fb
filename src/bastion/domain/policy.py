"""Policies: versioned nodes of the harm taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """Enforcement actions a decision may take on the platform."""

    REMOVE = "remove"
    LABEL = "label"
    AGE_RESTRICT = "age_restrict"
    DEMOTE = "demote"
    WARN = "warn"
    STRIKE = "strike"
    SUSPEND = "suspend"
    BAN = "ban"
    RESTORE = "restore"
    ESCALATE = "escalate"


UNCLASSIFIED = "unclassified"  # the harm type of work that names no policy (a free-text report reason)


def harm_type(policy_id: str | None) -> str:
    """The harm type a policy belongs to: its top-level policy ("hate_speech.slurs" → "hate_speech");
    `UNCLASSIFIED` when there is no policy, so every job and decision counts towards exposure.

    Exposure caps and reviewer specialisms count by harm type.
    """
    return policy_id.split(".", 1)[0] if policy_id else UNCLASSIFIED


def covers(scope: str, policy_id: str | None) -> bool:
    """Whether `policy_id` is `scope` or a policy under it (`spam` covers `spam.commercial_spam`)."""
    return policy_id is not None and (policy_id == scope or policy_id.startswith(scope + "."))


@dataclass(frozen=True)
class Policy:
    """One node of the taxonomy: `hate_speech` or `hate_speech.dehumanization`."""

    id: str
    title: str
    severity: int
    allowed_actions: tuple[Action, ...]
    guidance: str
    dsa_category: str
    description: str = ""

    @property
    def parent_id(self) -> str | None:
        head, _, _ = self.id.rpartition(".")
        return head or None
