"""What a reviewer sees of a job: the subject, its author's history, the reports, the policy text.

The same dictionary feeds the API and the console, so the page and its JSON twin never disagree.
Vendor reviewers never see the actor attributes the configuration marks private.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.policy import harm_type as harm_type_of
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.policy.service import PolicyRecord, current_policies
from bastion.review.access import is_vendor_only
from bastion.review.claims import exposure_today
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config, review_config_version
from bastion.review.intake import reporter_trust_of
from bastion.review.priority import UNKNOWN_REPORTER_TRUST, age_term
from bastion.review.private_fields import without_private_fields
from bastion.store.schema import Actor, Appeal, ContentItem, Decision, EnforcementAction, Job, JobReport, Report

HISTORY_ITEMS = 10


def decision_policies(
    policies: Mapping[str, PolicyRecord],
    *,
    suggested: str | None,
    reported: Counter[str],
    harm_type: str | None,
    queue_policies: Iterable[str],
) -> list[dict[str, Any]]:
    """The policies a decision may name, in the order a reviewer needs them.

    First what the evidence points at: the policies reporters named (most reports first) and the one
    the job was opened under (`suggested`); then the rest of the job's harm type; then the rest of
    the queue's policies (glob patterns, `*` for all). Each says why it is where it is.
    """
    flagged = sorted(
        {pid for pid in (*reported, suggested) if pid and pid in policies},
        key=lambda pid: (-reported[pid], pid != suggested, pid),
    )
    family = sorted(pid for pid in policies if harm_type is not None and harm_type_of(pid) == harm_type)
    patterns = tuple(queue_policies)
    queue = sorted(pid for pid in policies if any(fnmatch.fnmatchcase(pid, p) for p in patterns))
    ordered = list(dict.fromkeys([*flagged, *family, *queue]))
    return [
        {
            "id": pid,
            "title": policies[pid].policy.title,
            "severity": policies[pid].policy.severity,
            "allowed_actions": [a.value for a in policies[pid].policy.allowed_actions],
            "reports": reported[pid],
            "suggested": pid == suggested,
        }
        for pid in ordered
    ]


# How the console names actor attributes the platform sends; others are spelled out from their key.
ATTRIBUTE_LABELS = {
    "ip": "IP address",
    "device_id": "Device",
    "email": "Email",
    "phone": "Phone",
    "followers": "Followers",
    "following": "Following",
    "verified": "Verified account",
    "account_age_days": "Account age (days)",
}
_WORDS = {"ip": "IP", "id": "ID", "url": "URL", "urls": "URLs", "dsa": "DSA"}


def attribute_label(key: str) -> str:
    """`profile_links` → "Profile links"; known keys by their usual names."""
    if key in ATTRIBUTE_LABELS:
        return ATTRIBUTE_LABELS[key]
    words = [_WORDS.get(w.lower(), w) for w in key.replace("-", "_").split("_") if w]
    if not words:
        return key
    first = words[0] if words[0] in _WORDS.values() else words[0][:1].upper() + words[0][1:]
    return " ".join([first, *words[1:]])


def attribute_text(value: object) -> str:
    """A value as people read it: Yes/No, thousands separated, lists joined; never a Python repr."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple | set):
        return ", ".join(attribute_text(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{attribute_label(str(k))}: {attribute_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def attribute_rows(attributes: Mapping[str, object]) -> list[dict[str, str]]:
    """An actor's attributes as labelled rows for the console, in label order."""
    rows = [{"key": k, "label": attribute_label(k), "value": attribute_text(v)} for k, v in attributes.items()]
    return sorted(rows, key=lambda r: r["label"].lower())


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
    # A QA job is a blind re-review: nothing done on account of decisions about its subject may show.
    blind = (job.subject_type, job.subject_pk) if job.kind == JobKind.QA else None
    view["author"] = _author(session, actor, hidden, blind=blind)
    view["reports"] = _reports(session, job)
    policies = current_policies(session)
    hint = policies.get(job.policy_hint) if job.policy_hint else None
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
    reported = Counter(r["policy"] for r in view["reports"] if r["policy"])
    view["policies"] = decision_policies(
        policies,
        suggested=job.policy_hint,
        reported=reported,
        harm_type=job.harm_type,
        queue_policies=config.queue(job.queue).policies,
    )
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


def _author(
    session: Session, actor: Actor, hidden: set[str], *, blind: tuple[str, int] | None = None
) -> dict[str, Any]:
    attributes = without_private_fields(actor.attributes or {}, hidden)
    unseen: ColumnElement[bool] = true()
    if blind is not None:
        subject_type, subject_pk = blind
        about_subject = select(Decision.pk).join(Job, Job.pk == Decision.job_pk)
        about_subject = about_subject.where(Job.subject_type == subject_type, Job.subject_pk == subject_pk)
        unseen = ~(
            ((EnforcementAction.subject_type == subject_type) & (EnforcementAction.subject_pk == subject_pk))
            | EnforcementAction.decision_pk.in_(about_subject)
        )
    recent = session.scalars(
        select(ContentItem)
        .where(ContentItem.actor_pk == actor.pk)
        .order_by(ContentItem.created_at.desc())
        .limit(HISTORY_ITEMS)
    )
    actions = session.scalars(
        select(EnforcementAction)
        .where(
            EnforcementAction.cancelled_at.is_(None),  # taken back with its decision, never sent
            unseen,
            ((EnforcementAction.subject_type == "actor") & (EnforcementAction.subject_pk == actor.pk))
            | (
                (EnforcementAction.subject_type == "content")
                & EnforcementAction.subject_pk.in_(select(ContentItem.pk).where(ContentItem.actor_pk == actor.pk))
            ),
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
