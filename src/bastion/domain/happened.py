"""What the after-commit hooks are told: one frozen record per kind of fact, with the platform's own ids.

These are what a plugin sees, so they carry no session, no ORM object and no content text: ids, names and
times. Each is sent only after the transaction that made it true has committed, so a plugin never hears of
something that was then rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ContentIngested:
    """One committed batch of content items (an API call, or one chunk of an import)."""

    content_ids: tuple[str, ...]  # the platform's ids of the items stored new in this batch
    unchanged: int  # items of the batch that were already stored (sent again)
    principal: str
    at: datetime


@dataclass(frozen=True)
class ReportFiled:
    report_id: str
    subject_type: str  # "content" or "actor"
    subject_id: str
    policy_id: str | None
    principal: str
    at: datetime


@dataclass(frozen=True)
class JobCreated:
    job_pk: int
    queue: str
    kind: str  # review, escalation or appeal
    subject_type: str
    subject_pk: int
    harm_type: str | None
    principal: str
    at: datetime


@dataclass(frozen=True)
class DecisionMade:
    decision_pk: int
    job_pk: int
    queue: str
    reviewer: str
    verdict: str
    policy_id: str | None
    action: str
    at: datetime


@dataclass(frozen=True)
class DecisionWithdrawn:
    """A reviewer took a decision back within its undo window: the decision no longer counts, and the
    enforcement actions it took (`cancelled_actions`) are cancelled before the platform ever heard of them."""

    decision_pk: int
    job_pk: int
    reviewer: str
    cancelled_actions: tuple[int, ...]
    at: datetime


@dataclass(frozen=True)
class ActionTaken:
    action_pk: int
    kind: str  # remove, label, suspend, … or restore
    subject_type: str
    subject_pk: int
    policy_id: str | None
    principal: str
    at: datetime


@dataclass(frozen=True)
class AppealDecided:
    appeal_id: str
    job_pk: int
    outcome: str  # upheld or overturned
    principal: str
    at: datetime


@dataclass(frozen=True)
class TrendDetected:
    """A trend alert was recorded: a spike or level shift in a metric's series for one segment, or an
    emerging term. Investigations may open a case from it."""

    alert_pk: int
    kind: str  # spike, level_shift or emerging_term
    metric: str  # the metric's name, or "term"
    segment: tuple[tuple[str, str], ...]  # (dimension, value) pairs, sorted: (("country", "BR"), ("policy", "hate"))
    at: datetime  # when the change began
    score: float  # 0..1
    detected_at: datetime


@dataclass(frozen=True)
class ThreatFlagged:
    """A case was flagged as a real-world threat (imminent harm to someone): it goes to the top of every
    list of cases; e.g. page whoever is on call."""

    case_pk: int
    title: str
    severity: int  # 1..4, 1 the worst
    principal: str
    at: datetime
