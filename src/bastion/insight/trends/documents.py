"""The texts emerging terms are looked for in: content that was reported or found violating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.review import JobKind
from bastion.insight.trends.series import UNKNOWN, top_policy
from bastion.insight.trends.terms import Document
from bastion.store.schema import ContentItem, Decision, Job, Report


def documents(session: Session, since: datetime, until: datetime) -> list[Document]:
    """Each reported or violating content item posted in [since, until) with a text, once, with its policy
    (the decided one when a final decision found a violation, else the first reported one)."""
    found: dict[int, Document] = {}
    decided = (
        select(ContentItem.pk, ContentItem.created_at, ContentItem.language, ContentItem.text, Decision.policy_id)
        .join(Job, (Job.subject_type == "content") & (Job.subject_pk == ContentItem.pk))
        .join(Decision, Decision.job_pk == Job.pk)
        .where(
            Decision.final.is_(True),
            Decision.withdrawn_at.is_(None),
            Decision.policy_id.is_not(None),
            Job.kind == JobKind.REVIEW.value,
            Job.golden_pk.is_(None),
            ContentItem.created_at >= since,
            ContentItem.created_at < until,
            ContentItem.text.is_not(None),
        )
    )
    for pk, at, language, text, policy in session.execute(decided):
        found.setdefault(pk, Document(at, language or UNKNOWN, text or "", top_policy(policy)))
    reported = (
        select(ContentItem.pk, ContentItem.created_at, ContentItem.language, ContentItem.text, Report.policy_id)
        .join(Report, Report.content_pk == ContentItem.pk)
        .where(ContentItem.created_at >= since, ContentItem.created_at < until, ContentItem.text.is_not(None))
        .order_by(Report.created_at)
    )
    for pk, at, language, text, policy in session.execute(reported):
        found.setdefault(pk, Document(at, language or UNKNOWN, text or "", top_policy(policy)))
    return sorted(found.values(), key=lambda d: d.at)
