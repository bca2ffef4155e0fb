"""Intake: reports and rule effects open review jobs, or attach to the subject's open job.

Runs in the transaction that stored the reports (the review area's `reports_stored` hook), so a report and
its job commit together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.policy import harm_type
from bastion.domain.subjects import SubjectType
from bastion.policy.service import current_policies
from bastion.review.config import QueueSpec
from bastion.review.config_store import current_review_config
from bastion.review.facts import SubjectFacts, subject_facts
from bastion.review.jobs import JobKind, NewJob, create_job, open_job
from bastion.review.priority import (
    UNKNOWN_REPORTER_TRUST,
    PriorityInputs,
    base_priority,
    claim_rank,
    priority_terms,
    reporter_trust,
)
from bastion.review.routing import JobFacts, route
from bastion.store.events import append_events
from bastion.store.schema import Decision, Job, JobReport, Report


@dataclass(frozen=True)
class NewWork:
    """A request for review of one subject, from a report or a rule."""

    subject_type: SubjectType
    subject_pk: int
    policy_id: str | None
    report_pk: int | None
    weighted_reports: float
    confidence: float = 0.0
    rule_id: str | None = None
    rule_version: int | None = None
    queue: str | None = None  # a rule may name its queue; otherwise the routing rules choose
    principal: str | None = None  # who asks, when not the caller of `open_jobs` (a rule: rule:NAME@VERSION)


def open_jobs_for_reports(session: Session, report_pks: Sequence[int], *, now: datetime, principal: str) -> None:
    reports = list(session.scalars(select(Report).where(Report.pk.in_(report_pks)).order_by(Report.pk)))
    trust = reporter_trust_of(session, {r.reporter_id for r in reports if r.reporter_id})
    work = []
    for report in reports:
        subject_type = SubjectType.CONTENT if report.content_pk is not None else SubjectType.ACTOR
        subject_pk = report.content_pk if report.content_pk is not None else report.actor_pk
        assert subject_pk is not None  # a stored report always has a target
        weight = trust.get(report.reporter_id, UNKNOWN_REPORTER_TRUST) if report.reporter_id else UNKNOWN_REPORTER_TRUST
        work.append(NewWork(subject_type, subject_pk, report.policy_id, report.pk, weight))
    open_jobs(session, work, now=now, principal=principal)


def reporter_trust_of(session: Session, reporter_ids: set[str]) -> dict[str, float]:
    """Each reporter's trust: how often their reports ended in a violation, with a uniform prior."""
    if not reporter_ids:
        return {}
    upheld = func.sum(case((Decision.policy_id.is_not(None), 1), else_=0))
    rows = session.execute(
        select(Report.reporter_id, func.count(Decision.pk), upheld)
        .join(JobReport, JobReport.report_pk == Report.pk)
        .join(Decision, (Decision.job_pk == JobReport.job_pk) & Decision.final.is_(True))
        .join(Job, (Job.pk == JobReport.job_pk) & Job.golden_pk.is_(None))  # a golden job's decision judges no report
        .where(Report.reporter_id.in_(reporter_ids))
        .group_by(Report.reporter_id)
    )
    trust = dict.fromkeys(reporter_ids, UNKNOWN_REPORTER_TRUST)
    for reporter, decided, violating in rows:
        trust[str(reporter)] = reporter_trust(int(violating or 0), int(decided or 0))
    return trust


def open_jobs(session: Session, work: Sequence[NewWork], *, now: datetime, principal: str) -> list[int]:
    """Route each piece of work to a queue; create its job or attach it to the open one. Returns job pks."""
    if not work:
        return []
    loaded = current_review_config(session)
    config = loaded.config
    policies = current_policies(session)
    by_type: dict[SubjectType, set[int]] = defaultdict(set)
    for item in work:
        by_type[item.subject_type].add(item.subject_pk)
    facts: dict[tuple[SubjectType, int], SubjectFacts] = {}
    for subject_type, pks in by_type.items():
        for pk, fact in subject_facts(session, subject_type, pks).items():
            facts[(subject_type, pk)] = fact

    events: list[NewEvent] = []
    job_pks = []
    for item in work:
        fact = facts[(item.subject_type, item.subject_pk)]
        record = policies.get(item.policy_id) if item.policy_id else None
        severity = record.policy.severity if record else 1
        queue = config.queue(
            item.queue or route(config, JobFacts(item.policy_id, fact.language, fact.country, fact.surface, severity))
        )
        job = open_job(session, queue.name, item.subject_type.value, item.subject_pk)
        if job is None:
            inputs = PriorityInputs(severity, item.confidence, fact.views, fact.followers, item.weighted_reports)
            new = NewJob(
                JobKind(queue.kind),
                item.subject_type,
                item.subject_pk,
                item.policy_id,
                inputs,
                language=fact.language,
                country=fact.country,
                surface=fact.surface,
                report_count=1 if item.report_pk is not None else 0,
                rule_id=item.rule_id,
                rule_version=item.rule_version,
            )
            job = create_job(
                session,
                queue,
                new,
                config_version=loaded.version,
                now=now,
                principal=item.principal or principal,
                events=events,
            )
        else:
            _attach(job, item, fact, queue, severity)
            events.append(
                NewEvent(
                    EventKind.JOB_REPORT_ATTACHED,
                    EventEntity.JOB,
                    job.pk,
                    now,
                    item.principal or principal,
                    {"report": item.report_pk},
                )
            )
        if item.report_pk is not None:
            session.execute(insert(JobReport).values(job_pk=job.pk, report_pk=item.report_pk))
        job_pks.append(job.pk)
    session.flush()
    append_events(session, events, recorded_at=now)
    return job_pks


def _attach(job: Job, item: NewWork, fact: SubjectFacts, queue: QueueSpec, severity: int) -> None:
    """A new report on a subject with an open job: more reports, maybe a sharper policy, higher priority."""
    previous = job.priority_terms or {}
    weighted = float(previous.get("weighted_reports", 0.0)) + item.weighted_reports
    confidence = max(float(previous.get("confidence_input", 0.0)), item.confidence)
    if severity > job.severity or job.policy_hint is None:
        job.policy_hint = item.policy_id or job.policy_hint
        job.harm_type = harm_type(job.policy_hint)
        job.severity = max(job.severity, severity)
        job.reviews_required = max(job.reviews_required, queue.reviews_for(job.severity))
    inputs = PriorityInputs(job.severity, confidence, fact.views, fact.followers, weighted)
    terms = priority_terms(inputs, queue.priority_weights)
    base = base_priority(terms)
    job.claim_rank = claim_rank(base, as_utc(job.created_at), queue.sla_hours, queue.priority_weights)
    job.priority = base
    job.priority_terms = terms | {"weighted_reports": weighted, "confidence_input": confidence}
    job.report_count += 1 if item.report_pk is not None else 0
