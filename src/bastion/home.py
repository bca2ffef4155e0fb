"""The home page of each person: what their roles let them act on, and nothing else.

A reviewer gets their queues and the jobs in their hands; a supervisor the overview's totals; whoever
reads subjects the store's size and the latest reports; an admin the webhook outbox and the latest
audit entries. A section someone's permissions do not grant is None, never an empty stand-in, so the
page cannot show it by mistake. Vendor reviewers see only their own vendor's queues (`queue_listing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.review import claims
from bastion.review.access import is_vendor_only
from bastion.review.config_store import current_review_config
from bastion.review.queues import queue_listing
from bastion.review.supervisor import Overview, overview
from bastion.review.webhooks import delivery_counts
from bastion.store.schema import Actor, AuditRecord, ContentItem, Event, Job, Report

RECENT_REPORTS = 25
RECENT_AUDIT = 10


@dataclass(frozen=True)
class RecentReport:
    report: Report
    content_id: str | None
    actor_id: str | None


@dataclass(frozen=True)
class Home:
    queues: list[dict[str, Any]] | None  # review.work: the queues they may work, with what they can take
    jobs_in_hand: list[Job] | None
    overview: Overview | None  # review.supervise (not vendor-only): the totals, linked to the jobs
    store_counts: dict[str, int] | None  # subject.read
    recent_reports: list[RecentReport] | None
    webhooks: dict[str, int] | None  # enforcement.manage: the outbox by status
    audit: list[AuditRecord] | None  # audit.read: the latest entries


def home(session: Session, principal: Principal, *, now: datetime) -> Home:
    works = principal.can(Permission.REVIEW_WORK) and principal.user_pk is not None
    supervises = principal.can(Permission.REVIEW_SUPERVISE) and not is_vendor_only(principal)
    reads_subjects = principal.can(Permission.SUBJECT_READ)
    config = current_review_config(session).config if supervises else None
    return Home(
        queues=queue_listing(session, principal, now=now) if works else None,
        jobs_in_hand=claims.jobs_in_hand(session, principal, now=now) if works else None,
        overview=overview(session, config, now=now) if config is not None else None,
        store_counts=_store_counts(session) if reads_subjects else None,
        recent_reports=_recent_reports(session) if reads_subjects else None,
        webhooks=delivery_counts(session) if principal.can(Permission.ENFORCEMENT_MANAGE) else None,
        audit=audit_log.recent(session, limit=RECENT_AUDIT) if principal.can(Permission.AUDIT_READ) else None,
    )


def _store_counts(session: Session) -> dict[str, int]:
    return {
        label: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for label, table in (("Actors", Actor), ("Content items", ContentItem), ("Reports", Report), ("Events", Event))
    }


def _recent_reports(session: Session) -> list[RecentReport]:
    rows = session.execute(
        select(Report, ContentItem.external_id, Actor.external_id)
        .outerjoin(ContentItem, ContentItem.pk == Report.content_pk)
        .outerjoin(Actor, Actor.pk == Report.actor_pk)
        .order_by(Report.pk.desc())
        .limit(RECENT_REPORTS)
    )
    return [RecentReport(report, content_id, actor_id) for report, content_id, actor_id in rows]
