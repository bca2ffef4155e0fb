"""Investigations: cases and what hangs on them (links, notes, tasks, referrals), and the evidence
snapshots taken of content when it is escalated.

A case's own changes are also facts in the event log (`case.*` events about the case): its timeline is
read from there. These tables hold the current state, which the services change in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.investigate import BulkActionKind, CaseSource, CaseStatus, LinkKind
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Document, Key


class Case(Base):
    """An investigation: a title, a severity, a real-world-threat flag, a status, an owner and watchers."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(one_of("status", CaseStatus), name="status"),
        CheckConstraint(one_of("source", CaseSource), name="source"),
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[int] = mapped_column(Integer)  # 1 (the worst) to 4
    threat: Mapped[bool] = mapped_column(Boolean, default=False)  # a real-world threat: imminent harm
    status: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(256))  # the job, network or trend alert it came from
    owner: Mapped[str | None] = mapped_column(String(128))  # a user's name
    watchers: Mapped[list[str]] = mapped_column(Document, default=list)  # users' names, sorted
    opened_by: Mapped[str] = mapped_column(String(256))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseLink(Base):
    """A subject (content or actor, by the platform's id) or a network (by its stable id) linked to a case."""

    __tablename__ = "case_links"
    __table_args__ = (
        CheckConstraint(one_of("kind", LinkKind), name="kind"),
        UniqueConstraint("case_pk", "kind", "ref"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.pk"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(256))  # the platform's id, or the network's id
    members: Mapped[list[str]] = mapped_column(Document, default=list)  # a network's members (actors' ids) when linked
    linked_by: Mapped[str] = mapped_column(String(256))
    linked_at: Mapped[datetime]


class CaseNote(Base):
    """An internal note on a case: investigators only, never shown to the platform."""

    __tablename__ = "case_notes"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.pk"), index=True)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(256))
    written_at: Mapped[datetime]


class CaseTask(Base):
    """A task on a case (ask the platform for logs, check the other accounts), done or not."""

    __tablename__ = "case_tasks"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.pk"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(128))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]


class CaseReferral(Base):
    """A referral to law enforcement: which agency, when, their reference, what was sent, by whom."""

    __tablename__ = "case_referrals"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("cases.pk"), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    referred_on: Mapped[datetime]  # the date the referral was made (may be before it was recorded)
    reference: Mapped[str] = mapped_column(String(200))  # the agency's own reference
    sent: Mapped[str] = mapped_column(Text)  # what was sent: the package's manifest digest, documents
    referred_by: Mapped[str] = mapped_column(String(256))
    recorded_at: Mapped[datetime]


class EvidenceSnapshot(Base):
    """A content item as it stood when it was escalated: its text, media hash and metadata, kept whatever
    its author does later. Never updated; a later escalation adds another snapshot."""

    __tablename__ = "evidence_snapshots"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    job_pk: Mapped[int | None] = mapped_column(ForeignKey("jobs.pk"))
    content_id: Mapped[str] = mapped_column(String(256))  # the platform's id, kept beside the key
    text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2048))
    media_pdq: Mapped[str | None] = mapped_column(String(64))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the snapshot's canonical JSON
    taken_by: Mapped[str] = mapped_column(String(256))
    taken_at: Mapped[datetime]


class BulkAction(Base):
    """An action taken on a whole network at once: who, what, on which network (and case), the enforcement
    actions it took (one per item it changed, so a reversal restores exactly those), and its reversal."""

    __tablename__ = "bulk_actions"
    __table_args__ = (CheckConstraint(one_of("action", BulkActionKind), name="action"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    network_id: Mapped[str] = mapped_column(String(64), index=True)
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("cases.pk"))
    action: Mapped[str] = mapped_column(String(16))
    changed: Mapped[list[int]] = mapped_column(Document, default=list)  # the enforcement actions it took
    skipped: Mapped[int] = mapped_column(Integer)  # items already in that state when it was taken
    plan_digest: Mapped[str] = mapped_column(String(64), unique=True)  # the confirmed plan's digest
    taken_by: Mapped[str] = mapped_column(String(256))
    taken_at: Mapped[datetime]
    reversed_by: Mapped[str | None] = mapped_column(String(256))
    reversed_at: Mapped[datetime | None]
