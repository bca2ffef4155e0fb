"""Job states and the reading of jobs."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    OPEN = "open"  # waiting for a reviewer
    CLAIMED = "claimed"  # leased to a reviewer until lease_expires_at
    HELD = "held"  # parked by a reviewer (e.g. waiting for context); not claimable
    DECIDED = "decided"
    CANCELLED = "cancelled"


OPEN_STATES = (JobStatus.OPEN.value, JobStatus.CLAIMED.value, JobStatus.HELD.value)
