"""Review operations: configurations, jobs, decisions, enforcement actions, the webhook outbox, strikes,
appeals, reviewer preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.review import AppealStatus, DeliveryStatus, JobKind, JobStatus, one_of
from bastion.store.schema.base import Base, Document, Key


class ReviewConfig(Base):
    """One loaded version of the review configuration: queues, routing rules, strikes (YAML as JSON)."""

    __tablename__ = "review_configs"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))


OPEN_REAL_JOB = "status IN ('open', 'claimed', 'held') AND golden_pk IS NULL"


class Job(Base):
    """A request for a decision on one subject in one queue, with its priority, SLA and lease."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(one_of("kind", JobKind), name="kind"),
        CheckConstraint(one_of("status", JobStatus), name="status"),
        # Claiming scans this: the open jobs of a queue, most urgent first.
        Index("ix_jobs_claim", "queue", "status", "claim_rank"),
        # The supervisor's inflow and decisions over time read jobs opened or decided since a moment.
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_decided_at", "decided_at"),
        # One open job per subject per queue: a new report attaches to it instead. Golden jobs stand
        # apart (quality/golden.py): a report never attaches to one, and a real job may open beside it.
        Index(
            "uq_jobs_open_subject",
            "queue",
            "subject_type",
            "subject_pk",
            unique=True,
            sqlite_where=text(OPEN_REAL_JOB),
            postgresql_where=text(OPEN_REAL_JOB),
        ),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=JobKind.REVIEW.value)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_pk: Mapped[int] = mapped_column(Key)
    status: Mapped[str] = mapped_column(String(16))
    policy_hint: Mapped[str | None] = mapped_column(String(128))
    harm_type: Mapped[str] = mapped_column(String(64))  # the top-level policy or "unclassified", for exposure caps
    severity: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    surface: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[float] = mapped_column(Float)  # the score without its age term
    priority_terms: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    claim_rank: Mapped[float] = mapped_column(Float)  # orders like priority + age term, at any moment
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    reviews_required: Mapped[int] = mapped_column(Integer, default=1)
    reviews_done: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sla_due_at: Mapped[datetime]
    lease_owner: Mapped[int | None] = mapped_column(ForeignKey("users.pk"))
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.pk"))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    rule_version: Mapped[int | None] = mapped_column(Integer)
    config_version: Mapped[int] = mapped_column(Integer)
    appeal_pk: Mapped[int | None] = mapped_column(Key)
    # A golden job (quality/golden.py): scored against the item's known answer, never enforced. Never
    # shown: a golden job must look like any other, in the console, the API and the claim order.
    golden_pk: Mapped[int | None] = mapped_column(ForeignKey("golden_items.pk"))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


# The claim walks this in claim order and stops at the first job it may take, instead of sorting every
# open job of the queue (see claims.CLAIMABLE: the same predicate, as a literal).
Index(
    "ix_jobs_claimable",
    Job.queue,
    Job.claim_rank.desc(),
    Job.pk,
    sqlite_where=text("status IN ('open', 'claimed')"),
    postgresql_where=text("status IN ('open', 'claimed')"),
)


class JobReport(Base):
    __tablename__ = "job_reports"

    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk"), primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("reports.pk"), primary_key=True, index=True)


class JobExclusion(Base):
    """A reviewer who may not take a job: one who already reviewed it, or who made the decision appealed."""

    __tablename__ = "job_exclusions"

    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk"), primary_key=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), primary_key=True)


class Decision(Base):
    """A reviewer's verdict on a job, pinned to the policy and rule versions in force."""

    __tablename__ = "decisions"
    # Exposure caps count a reviewer's harm-typed decisions of the day on every claim.
    __table_args__ = (
        Index(
            "ix_decisions_exposure",
            "reviewer_pk",
            "decided_at",
            "harm_type",
            sqlite_where=text("harm_type IS NOT NULL AND withdrawn_at IS NULL"),
            postgresql_where=text("harm_type IS NOT NULL AND withdrawn_at IS NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk"), index=True)
    reviewer_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    policy_id: Mapped[str | None] = mapped_column(String(128))  # None: no violation
    policy_version: Mapped[int | None] = mapped_column(Integer)
    harm_type: Mapped[str] = mapped_column(String(64))  # the policy found, else the job's: for exposure caps
    action: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text, default="")
    seconds_spent: Mapped[float] = mapped_column(Float, default=0.0)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_at: Mapped[datetime | None]  # taken back by its reviewer within the undo window (review/undo.py)


class EnforcementAction(Base):
    """What was done on the platform, and why; delivered by webhook."""

    __tablename__ = "enforcement_actions"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_pk: Mapped[int] = mapped_column(Key, index=True)
    action: Mapped[str] = mapped_column(String(32))
    policy_id: Mapped[str | None] = mapped_column(String(128))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    decision_pk: Mapped[int | None] = mapped_column(ForeignKey("decisions.pk"), index=True)
    reverses_pk: Mapped[int | None] = mapped_column(ForeignKey("enforcement_actions.pk"))
    reason: Mapped[str] = mapped_column(String(64))  # decision | strikes | appeal_overturned | restored_without_appeal
    statement: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    reversed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]  # its decision was taken back before it was ever sent


class WebhookDelivery(Base):
    """The outbox: one message to the platform, sent and retried until it lands or is dead-lettered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    action_pk: Mapped[int | None] = mapped_column(ForeignKey("enforcement_actions.pk"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    not_before: Mapped[datetime | None]  # never sent earlier: the decision's undo window
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class Strike(Base):
    __tablename__ = "strikes"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"), index=True)
    policy_id: Mapped[str] = mapped_column(String(128))
    weight: Mapped[float] = mapped_column(Float)
    action_pk: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.pk"))
    created_at: Mapped[datetime]
    voided_at: Mapped[datetime | None]


class Appeal(Base):
    __tablename__ = "appeals"
    __table_args__ = (CheckConstraint(one_of("status", AppealStatus), name="status"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    action_pk: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.pk"), index=True)
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"))
    text: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    job_pk: Mapped[int | None] = mapped_column(ForeignKey("jobs.pk"))
    resolved_at: Mapped[datetime | None]


class ReviewerPreference(Base):
    """Per-reviewer settings, such as wellness overrides (images shown in colour, unblurred)."""

    __tablename__ = "reviewer_preferences"

    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    updated_at: Mapped[datetime]
