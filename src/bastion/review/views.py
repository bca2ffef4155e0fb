"""What a reviewer sees of a job: the subject, its author's history, the reports, the policy text.

The same dictionary feeds the API and the console, so the page and its JSON twin never disagree.
Vendor reviewers never see the actor attributes the configuration marks private.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.policy import harm_type
from bastion.domain.subjects import SubjectType
from bastion.policy.service import current_policies
from bastion.review.access import is_vendor_only
from bastion.review.claims import exposure_today
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config, review_config_version
from bastion.review.intake import reporter_trust_of
from bastion.review.priority import UNKNOWN_REPORTER_TRUST, age_term
from bastion.review.private_fields import without_private_fields
from bastion.store.schema import Actor, Appeal, ContentItem, Decision, EnforcementAction, Job, JobReport, Report

HISTORY_ITEMS = 10


def job_summary(job: Job, config: ReviewConfig, now: datetime) -> dict[str, Any]:
    queue = config.queue(job.queue)
    age = age_term(as_utc(job.created_at), now, queue.sla_hours, queue.priority_weights)
    terms = {k: v for k, v in (job.priority_terms or {}).items() if k in ("severity", "confidence", "reach", "reports")}
    return {
        "id": job.pk,
        "queue": job.queue,
        "kind": job.kind,
        "status": job.status,
        "subject": {"type": job.subject_type},
        "policy_hint": job.policy_hint,
        "severity": job.severity,
        "language": job.language,
        "country": job.country,
        "priority": {"score": round(job.priority + age, 4), "terms": terms | {"age": age}},
        "reports": job.report_count,
        "reviews": {"required": job.reviews_required, "done": job.reviews_done},
        "created_at": as_utc(job.created_at),
        "sla_due_at": as_utc(job.sla_due_at),
        "lease_expires_at": as_utc(job.lease_expires_at) if job.lease_expires_at else None,
        "note": job.note,
    }


def job_view(session: Session, job: Job, reviewer: Principal, *, now: datetime) -> dict[str, Any]:
    """The job as `reviewer` may see it; recorded in the audit log as `job.view`, once per call, whichever
    interface shows it (the API's job and claim answers, the console's page)."""
    audit_log.record(session, principal=reviewer.name, action="job.view", target=f"job:{job.pk}", at=now)
    config = review_config_version(session, job.config_version)
    view = job_summary(job, config, now)
    vendor = is_vendor_only(reviewer)
    current = current_review_config(session).config
    hidden = set(config.private_fields) | set(current.private_fields) if vendor else set()
    if job.subject_type == SubjectType.CONTENT:
        content = session.get_one(ContentItem, job.subject_pk)
        actor = session.get_one(Actor, content.actor_pk)
        view["subject"] = {
            "type": "content",
            "id": content.external_id,
            "content_type": content.type,
            "text": content.text,
            "media": {"url": content.media_url, "pdq": content.media_pdq}
            if (content.media_url or content.media_pdq)
            else None,
            "language": content.language,
            "country": content.country,
            "surface": content.surface,
            "created_at": as_utc(content.created_at),
            "views": content.views,
        }
    else:
        actor = session.get_one(Actor, job.subject_pk)
        view["subject"] = {"type": "actor", "id": actor.external_id}
    view["author"] = _author(session, actor, hidden)
    view["reports"] = _reports(session, job)
    policies = current_policies(session)
    hint = policies.get(job.policy_hint) if job.policy_hint else None
    family = [r for pid, r in policies.items() if job.harm_type and harm_type(pid) == job.harm_type]
    view["policy"] = (
        {
            "id": hint.policy.id,
            "version": hint.version,
            "title": hint.policy.title,
            "guidance": hint.policy.guidance,
            "allowed_actions": [a.value for a in hint.policy.allowed_actions],
        }
        if hint
        else None
    )
    view["policies"] = [
        {
            "id": r.policy.id,
            "title": r.policy.title,
            "severity": r.policy.severity,
            "allowed_actions": [a.value for a in r.policy.allowed_actions],
        }
        for r in (family or policies.values())
    ]
    view["rationale_required"] = config.queue(job.queue).rationale_required or job.kind == "appeal"
    if job.kind == "appeal":
        view["appeal"] = _appeal_context(session, job)
    if reviewer.user_pk is not None:
        # Caps as the claim applies them: from the configuration in force, not the job's own version.
        view["exposure"] = {
            h: {"today": n, "cap": cap}
            for h, (n, cap) in exposure_today(session, current, reviewer.user_pk, now).items()
        }
    return view


def _author(session: Session, actor: Actor, hidden: set[str]) -> dict[str, Any]:
    attributes = without_private_fields(actor.attributes or {}, hidden)
    recent = session.scalars(
        select(ContentItem)
        .where(ContentItem.actor_pk == actor.pk)
        .order_by(ContentItem.created_at.desc())
        .limit(HISTORY_ITEMS)
    )
    actions = session.scalars(
        select(EnforcementAction)
        .where(
            ((EnforcementAction.subject_type == "actor") & (EnforcementAction.subject_pk == actor.pk))
            | (
                (EnforcementAction.subject_type == "content")
                & EnforcementAction.subject_pk.in_(select(ContentItem.pk).where(ContentItem.actor_pk == actor.pk))
            )
        )
        .order_by(EnforcementAction.created_at.desc())
        .limit(HISTORY_ITEMS)
    )
    content_count = session.scalar(
        select(func.count()).select_from(ContentItem).where(ContentItem.actor_pk == actor.pk)
    )
    return {
        "id": actor.external_id,
        "created_at": as_utc(actor.created_at),
        "country": actor.country,
        "language": actor.language,
        "attributes": attributes,
        "content_count": int(content_count or 0),
        "recent_content": [
            {"id": c.external_id, "type": c.type, "created_at": as_utc(c.created_at), "text": (c.text or "")[:280]}
            for c in recent
        ],
        "prior_actions": [
            {
                "id": a.pk,
                "action": a.action,
                "policy": a.policy_id,
                "at": as_utc(a.created_at),
                "reversed": a.reversed_at is not None,
            }
            for a in actions
        ],
    }


def _reports(session: Session, job: Job) -> list[dict[str, Any]]:
    reports = list(
        session.scalars(
            select(Report)
            .join(JobReport, JobReport.report_pk == Report.pk)
            .where(JobReport.job_pk == job.pk)
            .order_by(Report.created_at)
        )
    )
    trust = reporter_trust_of(session, {r.reporter_id for r in reports if r.reporter_id})
    return [
        {
            "id": r.external_id,
            "reason": r.reason,
            "policy": r.policy_id,
            "text": r.text,
            "created_at": as_utc(r.created_at),
            "reporter": r.reporter_id,
            "reporter_trust": round(trust.get(r.reporter_id, UNKNOWN_REPORTER_TRUST), 3) if r.reporter_id else None,
        }
        for r in reports
    ]


def _appeal_context(session: Session, job: Job) -> dict[str, Any]:
    rows = session.execute(
        select(Appeal, EnforcementAction, Decision.rationale)
        .join(EnforcementAction, EnforcementAction.pk == Appeal.action_pk)
        .outerjoin(Decision, Decision.pk == EnforcementAction.decision_pk)
        .where(Appeal.job_pk == job.pk)
        .order_by(Appeal.filed_at)
    )
    return {
        "appeals": [
            {
                "id": appeal.external_id,
                "text": appeal.text,
                "filed_at": as_utc(appeal.filed_at),
                "status": appeal.status,
                "action": {
                    "id": action.pk,
                    "action": action.action,
                    "policy": action.policy_id,
                    "statement": action.statement,
                },
                "original_rationale": rationale,
            }
            for appeal, action, rationale in rows
        ]
    }
