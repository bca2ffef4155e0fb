"""The states and kinds of review, as enums: the code, the CHECK constraints and the API share one spelling."""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """Why a job exists: a report or rule asked for review, a reviewer escalated it, a user appealed,
    a QA plan sampled a decision for blind re-review (see `bastion.quality`), or a prevalence round sampled
    a view for labelling (see `bastion.insight`)."""

    REVIEW = "review"
    ESCALATION = "escalation"
    APPEAL = "appeal"
    QA = "qa"
    PREVALENCE = "prevalence"

    @property
    def measures(self) -> bool:
        """A job that measures (a QA re-review, a prevalence label): its decision is never enforced, and
        it cannot be escalated (escalated, it would be handled as a normal job). Golden jobs are of the
        kinds they pass for, so that nothing tells them apart."""
        return self in (JobKind.QA, JobKind.PREVALENCE)


class JobStatus(StrEnum):
    OPEN = "open"  # waiting for a reviewer
    CLAIMED = "claimed"  # leased to a reviewer until lease_expires_at
    HELD = "held"  # parked by a reviewer (e.g. waiting for context); not claimable
    DECIDED = "decided"
    CANCELLED = "cancelled"


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class AppealVerdict(StrEnum):
    """What a reviewer decides on an appeal (stored as the decision's action)."""

    UPHOLD = "uphold"
    OVERTURN = "overturn"


class DecisionNeed(StrEnum):
    """What a job still needs after a decision that did not settle it."""

    SECOND_REVIEW = "second review"
    TIEBREAK = "tiebreak"


class DeliveryStatus(StrEnum):
    """Where an outbox message to the platform stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    CANCELLED = "cancelled"  # its decision was taken back within the undo window: never sent


def one_of(column: str, values: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint that keeps `column` within an enum's values."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"
