"""Decision quality, as enums: where a rating comes from, why a decision was sampled for QA, where a
calibration exercise stands. The code, the CHECK constraints and the API share one spelling."""

from __future__ import annotations

from enum import StrEnum


class RatingSource(StrEnum):
    """Where one rating (a label given to an item by a rater) of the quality report comes from."""

    REVIEW = "review"  # a decision in a review queue (every round of a double review counts)
    QA = "qa"  # a blind QA re-review of a sampled decision: the reference for that decision
    GOLDEN = "golden"  # a decision on a golden job: scored against the golden item's known answer
    IMPORT = "import"  # a decision made elsewhere, imported with `bastion import --kind decisions`
    CALIBRATION = "calibration"  # an answer in a calibration exercise


class SampleReason(StrEnum):
    """Why a QA plan sampled a decision."""

    RANDOM = "random"  # the plan's base rate
    STRATUM = "stratum"  # a stratum's own rate (by decision, policy, reviewer or vendor)
    LOW_CONFIDENCE = "low_confidence"  # the job's detection confidence was low
    NEW_REVIEWER = "new_reviewer"  # the reviewer is new (fewer decisions than the plan's bar)
    HIGH_SEVERITY = "high_severity"  # the job's severity is at or above the plan's bar
    OVERTURNED = "overturned"  # the decision was overturned on appeal


class ExerciseStatus(StrEnum):
    """Where a calibration exercise stands."""

    OPEN = "open"  # its reviewers are answering
    CLOSED = "closed"  # compared and discussed; answers are no longer taken
