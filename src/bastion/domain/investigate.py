"""Investigations' states: a case's severity and its response-time targets, its status and the moves
allowed between them, where a case came from, and what can be linked to it."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """How bad a case is: SEV1 is the worst. Each has a response-time target (`RESPONSE_TARGETS`)."""

    SEV1 = 1  # imminent harm to a person, child safety: someone answers within the hour
    SEV2 = 2  # credible threat or organised abuse in progress
    SEV3 = 3  # coordinated activity without urgent harm
    SEV4 = 4  # a lead worth following, no harm yet

    @property
    def label(self) -> str:
        return f"SEV{self.value}"


# How soon a case of each severity must be taken up (moved to `investigating`) after it is opened.
RESPONSE_TARGETS: dict[Severity, timedelta] = {
    Severity.SEV1: timedelta(hours=1),
    Severity.SEV2: timedelta(hours=4),
    Severity.SEV3: timedelta(hours=24),
    Severity.SEV4: timedelta(hours=72),
}


class CaseStatus(StrEnum):
    """Where a case stands: open -> investigating -> actioned -> referred -> closed (see `ALLOWED_MOVES`)."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    ACTIONED = "actioned"
    REFERRED = "referred"
    CLOSED = "closed"


# The moves a case may make. A case can be closed from any open state (nothing found, a duplicate); it can
# be referred once investigated, with or without action taken; a closed case is reopened to investigating.
ALLOWED_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.INVESTIGATING, CaseStatus.CLOSED}),
    CaseStatus.INVESTIGATING: frozenset({CaseStatus.ACTIONED, CaseStatus.REFERRED, CaseStatus.CLOSED}),
    CaseStatus.ACTIONED: frozenset({CaseStatus.REFERRED, CaseStatus.CLOSED}),
    CaseStatus.REFERRED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.INVESTIGATING}),
}


class CaseSource(StrEnum):
    """What a case was opened from."""

    MANUAL = "manual"  # by hand
    JOB = "job"  # an escalated review job
    NETWORK = "network"  # a coordinated network the detector found
    TREND = "trend"  # a trend alert


class LinkKind(StrEnum):
    """What a case links to: a subject (by the platform's id) or a network (by the detector's stable id)."""

    CONTENT = "content"
    ACTOR = "actor"
    NETWORK = "network"


class BulkActionKind(StrEnum):
    """What a bulk action does to a network: suspend or ban its members' accounts, or remove their posts in
    the network's near-duplicate clusters. Each is the enforcement action of the same name on every item."""

    SUSPEND = "suspend"
    BAN = "ban"
    REMOVE = "remove"

    @property
    def on_accounts(self) -> bool:
        return self is not BulkActionKind.REMOVE

    @property
    def items(self) -> str:
        """What the action counts: accounts or posts."""
        return "accounts" if self.on_accounts else "posts"
