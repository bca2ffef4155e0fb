"""The relational schema of Bastion's store (SQLAlchemy 2, typed).

Naming: `*_pk` columns are Bastion's own surrogate keys; `external_id` is the platform's own id,
unique per subject type. Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bastion.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the fast rowid alias.
Key = BigInteger().with_variant(Integer(), "sqlite")
Document = JSON().with_variant(JSONB(), "postgresql")


class Moment(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back as an aware UTC datetime, on every backend.

    (SQLite keeps no zone, PostgreSQL answers in the session's zone; readers never have to care.)
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: Document, datetime: Moment()}  # noqa: RUF012


class Actor(Base):
    __tablename__ = "actors"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    created_at: Mapped[datetime]
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]


class ContentItem(Base):
    __tablename__ = "content_items"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2048))
    media_pdq: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    language_detected: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str | None] = mapped_column(String(2))
    surface: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[datetime]


class Report(Base):
    __tablename__ = "reports"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    content_pk: Mapped[int | None] = mapped_column(ForeignKey("content_items.pk"), index=True)
    actor_pk: Mapped[int | None] = mapped_column(ForeignKey("actors.pk"), index=True)
    reporter_id: Mapped[str | None] = mapped_column(String(256), index=True)
    reason: Mapped[str] = mapped_column(String(256))
    policy_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime]


class View(Base):
    """A sampled impression of a content item; `weight` real impressions stand behind each sample."""

    __tablename__ = "views"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    viewer_id: Mapped[str | None] = mapped_column(String(256))
    viewed_at: Mapped[datetime] = mapped_column(index=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime]


class Event(Base):
    """The append-only log of facts. State elsewhere is a projection of these rows."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_pk", "pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_pk: Mapped[int] = mapped_column(Key)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PolicyVersion(Base):
    """One version of one policy; a load that changes a policy adds a version, never edits one."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    severity: Mapped[int] = mapped_column(Integer)
    allowed_actions: Mapped[list[str]] = mapped_column(Document)
    guidance: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    dsa_category: Mapped[str] = mapped_column(String(128))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))


class User(Base):
    __tablename__ = "users"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    roles: Mapped[list[str]] = mapped_column(Document)
    vendor: Mapped[str | None] = mapped_column(String(128))
    languages: Mapped[list[str]] = mapped_column(Document, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(32))
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.pk"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    __tablename__ = "web_sessions"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditRecord(Base):
    """One row of the hash-chained audit log: who did or saw what, when."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditPending(Base):
    """An audit row waiting for its transaction's commit (PostgreSQL): a deferred trigger then moves it
    into the chain. Never holds a committed row; SQLite does not use it."""

    __tablename__ = "audit_pending"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    middle: Mapped[str] = mapped_column(Text)  # the canonical JSON the row's hash covers, bar seq and link


class AuditHead(Base):
    """The single row holding the chain's last sequence number and hash; also its append lock."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Key)
    prev_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)  # the last row's link
    hash: Mapped[str] = mapped_column(String(64))


# --- review operations -------------------------------------------------------------------------------


class ReviewConfig(Base):
    """One loaded version of the review configuration: queues, routing rules, strikes (YAML as JSON)."""

    __tablename__ = "review_configs"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))


class Job(Base):
    """A request for a decision on one subject in one queue, with its priority, SLA and lease."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Claiming scans this: the open jobs of a queue, most urgent first.
        Index("ix_jobs_claim", "queue", "status", "claim_rank"),
        # One open job per subject per queue: a new report attaches to it instead.
        Index(
            "uq_jobs_open_subject",
            "queue",
            "subject_type",
            "subject_pk",
            unique=True,
            sqlite_where=text("status IN ('open', 'claimed', 'held')"),
            postgresql_where=text("status IN ('open', 'claimed', 'held')"),
        ),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="review")  # review | appeal | escalation
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_pk: Mapped[int] = mapped_column(Key)
    status: Mapped[str] = mapped_column(String(16))  # open | claimed | held | decided | cancelled
    policy_hint: Mapped[str | None] = mapped_column(String(128))
    harm_type: Mapped[str | None] = mapped_column(String(64))  # the top-level policy, for exposure caps
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
            sqlite_where=text("harm_type IS NOT NULL"),
            postgresql_where=text("harm_type IS NOT NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk"), index=True)
    reviewer_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    policy_id: Mapped[str | None] = mapped_column(String(128))  # None: no violation
    policy_version: Mapped[int | None] = mapped_column(Integer)
    harm_type: Mapped[str | None] = mapped_column(String(64))  # the job's, for exposure caps
    action: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text, default="")
    seconds_spent: Mapped[float] = mapped_column(Float, default=0.0)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)


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


class WebhookDelivery(Base):
    """The outbox: one message to the platform, sent and retried until it lands or is dead-lettered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    action_pk: Mapped[int | None] = mapped_column(ForeignKey("enforcement_actions.pk"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
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

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    action_pk: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.pk"), index=True)
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"))
    text: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # open | upheld | overturned
    job_pk: Mapped[int | None] = mapped_column(ForeignKey("jobs.pk"))
    resolved_at: Mapped[datetime | None]


class ReviewerPreference(Base):
    """Per-reviewer settings, such as wellness overrides (images shown in colour, unblurred)."""

    __tablename__ = "reviewer_preferences"

    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    updated_at: Mapped[datetime]
