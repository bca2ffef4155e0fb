"""Detection: versioned rules and banks, the durable queue of items to evaluate, what each evaluation
found (verdicts and rule hits), entity labels and velocity counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.detect import BankKind, EntityType, RuleMode
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Document, Key


class RuleVersion(Base):
    """One version of one rule. A load that changes a rule (its condition, effects, mode, …) adds a
    version; an unchanged rule keeps its version. The newest version of a rule not retired is in force."""

    __tablename__ = "rule_versions"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint(one_of("mode", RuleMode), name="mode"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the rule's canonical JSON
    mode: Mapped[str] = mapped_column(String(8))
    owner: Mapped[str] = mapped_column(String(128), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(Document)  # the rule as written: when, then, …
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))


class Bank(Base):
    """A named list of keywords or regular expressions that rules read as signals."""

    __tablename__ = "banks"
    __table_args__ = (CheckConstraint(one_of("kind", BankKind), name="kind"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class BankVersion(Base):
    """The whole content of a bank at one version; every change (an import, an edit) adds a version."""

    __tablename__ = "bank_versions"
    __table_args__ = (UniqueConstraint("bank_pk", "version"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    bank_pk: Mapped[int] = mapped_column(ForeignKey("banks.pk"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    entries: Mapped[list[str]] = mapped_column(Document)  # terms or patterns, in the order written
    entry_count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))


class DetectionQueueItem(Base):
    """A content item waiting for detection. Written in the transaction that stores the item, so no item
    is ever missed; removed in the transaction that records its verdict, so none is evaluated twice."""

    __tablename__ = "detection_queue"

    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), primary_key=True, autoincrement=False)
    enqueued_at: Mapped[datetime]
    available_at: Mapped[datetime] = mapped_column(index=True)  # a worker's lease holds it until then
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_by: Mapped[str | None] = mapped_column(String(128))


class DetectionVerdict(Base):
    """What detection found for one content item: its signals, and the rules that errored or ran out of
    time. At most one per item: the guard that keeps an item from being acted on twice."""

    __tablename__ = "detection_verdicts"

    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), primary_key=True, autoincrement=False)
    evaluated_at: Mapped[datetime] = mapped_column(index=True)
    signals: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    rule_errors: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)  # rule name -> error or timeout
    hits: Mapped[int] = mapped_column(Integer, default=0)


class RuleHit(Base):
    """A rule matched a content item. Live hits list the effects they had (with the job or action they
    made); shadow hits list what they would have done."""

    __tablename__ = "rule_hits"
    __table_args__ = (
        UniqueConstraint("content_pk", "rule_name"),
        Index("ix_rule_hits_rule_at", "rule_name", "hit_at"),
        CheckConstraint(one_of("mode", RuleMode), name="mode"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    rule_name: Mapped[str] = mapped_column(String(128))
    rule_version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(8))
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"))  # first in its unique key
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"), index=True)
    policy_id: Mapped[str | None] = mapped_column(String(128))
    confidence: Mapped[float | None]
    hit_at: Mapped[datetime]  # when detection found it
    occurred_at: Mapped[datetime]  # when the content was posted
    effects: Mapped[list[dict[str, Any]]] = mapped_column(Document, default=list)
    job_pk: Mapped[int | None] = mapped_column(ForeignKey("jobs.pk"), index=True)


class EntityLabel(Base):
    """A label on an entity (an actor, a content item, an IP, a device, a URL), until it expires."""

    __tablename__ = "entity_labels"
    __table_args__ = (
        Index("ix_entity_labels_entity", "entity_type", "entity_value"),
        CheckConstraint(one_of("entity_type", EntityType), name="entity_type"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_value: Mapped[str] = mapped_column(String(2048))
    label: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(256))  # a user, or rule:NAME@VERSION
    removed_at: Mapped[datetime | None]


class VelocityCount(Base):
    """How many items an entity posted in one minute: the sliding windows of the velocity signals add
    these buckets up."""

    __tablename__ = "velocity_counts"
    __table_args__ = (CheckConstraint(one_of("entity_type", EntityType), name="entity_type"),)

    entity_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the value, hex, first 64
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # minutes since epoch
    count: Mapped[int] = mapped_column(Integer, default=0)
