"""Events: facts in the append-only log. State elsewhere is a projection of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bastion.domain.subjects import SubjectType


class EventKind(StrEnum):
    ACTOR_CREATED = "actor.created"
    CONTENT_CREATED = "content.created"
    REPORT_FILED = "report.filed"
    JOB_CREATED = "job.created"
    JOB_REPORT_ATTACHED = "job.report_attached"
    JOB_CLAIMED = "job.claimed"
    JOB_RELEASED = "job.released"
    JOB_SKIPPED = "job.skipped"
    JOB_ESCALATED = "job.escalated"
    JOB_REASSIGNED = "job.reassigned"
    JOB_HELD = "job.held"
    JOB_REOPENED = "job.reopened"
    DECISION_MADE = "decision.made"
    DECISION_WITHDRAWN = "decision.withdrawn"
    DECISION_IMPORTED = "decision.imported"  # a decision made elsewhere (`bastion import --kind decisions`)
    ACTION_TAKEN = "action.taken"
    ACTION_REVERSED = "action.reversed"
    ACTION_CANCELLED = "action.cancelled"
    ACTION_DELIVERED = "action.delivered"
    ACTION_DEAD_LETTERED = "action.dead_lettered"
    ACTION_DELIVERY_REPLAYED = "action.delivery_replayed"
    STRIKE_ADDED = "strike.added"
    APPEAL_FILED = "appeal.filed"
    APPEAL_RESOLVED = "appeal.resolved"
    CONTENT_SNAPSHOTTED = "content.snapshotted"  # kept as evidence when its job was escalated
    CASE_OPENED = "case.opened"
    CASE_STATUS_CHANGED = "case.status_changed"
    CASE_THREAT_FLAGGED = "case.threat_flagged"
    CASE_OWNER_SET = "case.owner_set"
    CASE_WATCHED = "case.watched"
    CASE_LINKED = "case.linked"
    CASE_NOTED = "case.noted"
    CASE_TASK_ADDED = "case.task_added"
    CASE_TASK_DONE = "case.task_done"
    CASE_EXPORTED = "case.exported"
    CASE_REFERRED = "case.referred"
    BULK_ACTION_TAKEN = "bulk_action.taken"  # one action on a whole network (each item has its own action.taken)
    BULK_ACTION_REVERSED = "bulk_action.reversed"


class EventEntity(StrEnum):
    """What an event is about besides a subject (`SubjectType`): a job of the review process, a case of an
    investigation."""

    JOB = "job"
    CASE = "case"
    BULK_ACTION = "bulk_action"


@dataclass(frozen=True)
class NewEvent:
    kind: str
    subject_type: SubjectType | EventEntity
    subject_pk: int
    occurred_at: datetime
    principal: str
    data: dict[str, Any] = field(default_factory=dict)
