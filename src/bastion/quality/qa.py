"""QA: the plans that sample decisions of a queue for blind re-review, and the QA jobs they open.

Plans are stored as versions (the newest of a queue is in force), each change audited. A decision is
sampled after it commits (the `decision_made` hook) and again, for the overturned target, when its appeal
is overturned (`appeal_decided`). A hook runs after the commit, so a process that dies in between would
miss one: `catch_up` samples again every decision of a window, and since sampling is a keyed hash
(`bastion.quality.sampling`) and a decision has at most one sample (a unique key), replaying changes
nothing that was already sampled and adds exactly what was missed.

A sampled decision opens a job of kind `qa` in the plan's QA queue, on the same subject, with the same
reports, never offered to a reviewer of the original job. What the QA job shows hides the original
decision (`bastion.review.views`); its verdict is recorded, never enforced, and is the reference the
quality report scores the sampled decision against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
import yaml
from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bastion import audit_log
from bastion.clock import as_utc
from bastion.domain.events import NewEvent
from bastion.domain.quality import SampleReason
from bastion.domain.review import AppealStatus, JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.plugins import announcing_store
from bastion.policy.service import current_policies
from bastion.quality.sampling import (
    NO_VIOLATION,
    DecisionFacts,
    Preview,
    QaPlanSpec,
    Target,
    parse_plan,
    preview,
    sample_reason,
)
from bastion.review.claims import exclude_reviewer
from bastion.review.config_store import current_review_config
from bastion.review.facts import subject_facts
from bastion.review.jobs import NewJob, create_job, open_job
from bastion.review.priority import PriorityInputs
from bastion.store.events import append_events
from bastion.store.newest import NewestVersion
from bastion.store.schema import Appeal, Decision, EnforcementAction, Job, JobReport, QaPlan, QaSample, User

log = structlog.get_logger(__name__)
PLAN_AUDIT_ACTION = "qa_plan.set"
SAMPLED_KINDS = (JobKind.REVIEW.value, JobKind.ESCALATION.value)  # never QA jobs, appeals or golden jobs
MAX_PREVIEW_DAYS = 90
QA_PRINCIPAL = "system:qa"  # who opens QA jobs, in their events


@dataclass(frozen=True)
class PlanView:
    """A queue's plan in force, and what it has sampled so far."""

    queue: str
    version: int
    qa_queue: str
    rate: float
    strata: dict[str, dict[str, float]]
    targets: dict[str, dict[str, float]]
    active: bool
    created_at: datetime
    created_by: str
    samples: int
    open_qa_jobs: int


def _spec(row: QaPlan) -> QaPlanSpec:
    bars = {"high_severity": "at_least", "low_confidence": "below", "new_reviewer": "fewer_than"}
    targets = {
        name: Target(float(doc["rate"]), float(doc[bars[name]]) if name in bars else None)
        for name, doc in (row.targets or {}).items()
    }
    return QaPlanSpec(row.queue, row.qa_queue, row.rate, row.strata or {}, targets, row.active)


def _queue_kinds(session: Session) -> dict[str, str]:
    return {q.name: q.kind.value for q in current_review_config(session).config.queues}


def _current_rows(session: Session) -> list[QaPlan]:
    newest = select(QaPlan.queue, func.max(QaPlan.version)).group_by(QaPlan.queue)
    return list(
        session.scalars(select(QaPlan).where(tuple_(QaPlan.queue, QaPlan.version).in_(newest)).order_by(QaPlan.queue))
    )


def _planned_queues(session: Session) -> frozenset[str]:
    return frozenset(row.queue for row in _current_rows(session) if row.active)


_planned: NewestVersion[frozenset[str]] = NewestVersion()  # the queues with an active plan, per store


def _current_row(session: Session, queue: str) -> QaPlan | None:
    return session.scalars(select(QaPlan).where(QaPlan.queue == queue).order_by(QaPlan.version.desc()).limit(1)).first()


def current_plan(session: Session, queue: str) -> QaPlanSpec | None:
    """The plan in force for `queue`, if any."""
    row = _current_row(session, queue)
    return None if row is None else _spec(row)


def _view(session: Session, row: QaPlan) -> PlanView:
    samples = select(QaSample.job_pk).join(QaPlan, QaPlan.pk == QaSample.plan_pk).where(QaPlan.queue == row.queue)
    count = session.scalar(select(func.count()).select_from(samples.subquery())) or 0
    open_jobs = session.scalar(
        select(func.count()).select_from(Job).where(Job.pk.in_(samples), Job.status.in_(("open", "claimed", "held")))
    )
    spec = _spec(row)
    return PlanView(
        row.queue,
        row.version,
        row.qa_queue,
        row.rate,
        spec.strata_document(),
        spec.targets_document(),
        row.active,
        as_utc(row.created_at),
        row.created_by,
        int(count),
        int(open_jobs or 0),
    )


def list_plans(session: Session) -> list[PlanView]:
    """Every queue's plan in force, by queue."""
    return [_view(session, row) for row in _current_rows(session)]


def get_plan(session: Session, queue: str) -> PlanView:
    row = _current_row(session, queue)
    if row is None:
        raise NotFound(f"no QA plan for the queue {queue!r}")
    return _view(session, row)


def validate_plan(session: Session, document: dict[str, Any]) -> QaPlanSpec:
    """The plan as written, checked against the queues and policies in force; every problem by its field."""
    return parse_plan(document, queues=_queue_kinds(session), policies=current_policies(session))


def set_plan(session: Session, document: dict[str, Any], *, principal: str, now: datetime) -> PlanView:
    """Put a queue's plan in force: a new version (the same plan again adds none), recorded in the audit log."""
    spec = validate_plan(session, document)
    row = _current_row(session, spec.queue)
    if row is not None and _spec(row) == spec:
        return _view(session, row)
    new = QaPlan(
        queue=spec.queue,
        version=(row.version + 1) if row is not None else 1,
        qa_queue=spec.qa_queue,
        rate=spec.rate,
        strata=spec.strata_document(),
        targets=spec.targets_document(),
        active=spec.active,
        created_at=now,
        created_by=principal,
    )
    session.add(new)
    session.flush()
    _planned.forget(session)
    audit_log.record(
        session,
        principal=principal,
        action=PLAN_AUDIT_ACTION,
        target=f"qa_plan:{spec.queue}",
        at=now,
        details={"version": new.version, "qa_queue": spec.qa_queue, "rate": spec.rate, "active": spec.active},
    )
    return _view(session, new)


def plan_text(view: PlanView | None, *, qa_queue: str = "qa") -> str:
    """The plan as YAML, as a person edits it: the plan in force, or a starting point for a queue without one."""
    document: dict[str, Any] = (
        {"qa_queue": qa_queue, "rate": 0.02, "strata": {}, "targets": {}}
        if view is None
        else {"qa_queue": view.qa_queue, "rate": view.rate, "strata": view.strata, "targets": view.targets}
    )
    if view is not None and not view.active:
        document["active"] = False
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def read_plan_text(text: str, source: str) -> dict[str, Any]:
    """A plan written in YAML (or JSON); a text that is not one says where."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput(f"{source} is not YAML or JSON", [FieldError("", "cannot be read here", line)]) from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise InvalidInput(f"{source} is not a plan", [FieldError("", "a plan is a mapping of fields: rate, strata…")])
    return loaded


@dataclass(frozen=True)
class QueueChoice:
    name: str
    title: str
    kind: str
    plan: PlanView | None


def plans_overview(session: Session) -> tuple[list[QueueChoice], list[str]]:
    """Every queue that may have a plan, with its plan if any; and the QA queues plans may send to."""
    plans = {view.queue: view for view in list_plans(session)}
    queues = current_review_config(session).config.queues
    sampled = [QueueChoice(q.name, q.title, q.kind.value, plans.get(q.name)) for q in queues if q.kind in SAMPLED_KINDS]
    return sampled, [q.name for q in queues if q.kind == JobKind.QA]


# --- the decisions a plan looks at ------------------------------------------------------------------


def _facts_query(*conditions: Any, one: bool = False) -> Any:
    """Sampleable decisions with what a plan needs of them. The reviewer's decisions before each one are
    counted over all of their decisions (every queue), in decision order: for `one` decision by a count on
    the reviewer's index, for many by one window over every decision."""
    ranked: Any = None
    if one:
        earlier = aliased(Decision)
        before: Any = (
            select(func.count())
            .select_from(earlier)
            .where(
                earlier.reviewer_pk == Decision.reviewer_pk,
                earlier.withdrawn_at.is_(None),
                tuple_(earlier.decided_at, earlier.pk) < tuple_(Decision.decided_at, Decision.pk),
            )
            .scalar_subquery()
        )
    else:
        order = (Decision.decided_at, Decision.pk)
        place = func.row_number().over(partition_by=Decision.reviewer_pk, order_by=order)
        ranked = select(Decision.pk.label("pk"), place.label("place")).where(Decision.withdrawn_at.is_(None)).subquery()
        before = ranked.c.place - 1
    overturned = (
        select(Appeal.pk)
        .join(EnforcementAction, EnforcementAction.pk == Appeal.action_pk)
        .where(EnforcementAction.decision_pk == Decision.pk, Appeal.status == AppealStatus.OVERTURNED.value)
        .exists()
    )
    query = (
        select(
            Decision.pk,
            Decision.decided_at,
            Decision.policy_id,
            User.name,
            User.vendor,
            Job.severity,
            Job.rule_id,
            Job.priority_terms,
            before,
            overturned,
            Job.queue,
        )
        .join(Job, Job.pk == Decision.job_pk)
        .join(User, User.pk == Decision.reviewer_pk)
    )
    if ranked is not None:
        query = query.join(ranked, ranked.c.pk == Decision.pk)
    return query.where(
        Job.kind.in_(SAMPLED_KINDS), Job.golden_pk.is_(None), Decision.withdrawn_at.is_(None), *conditions
    ).order_by(Decision.decided_at, Decision.pk)


def _facts(row: Any) -> DecisionFacts:
    pk, decided_at, policy_id, name, vendor, severity, rule_id, terms, before, overturned, _queue = row
    confidence = (terms or {}).get("confidence_input") if rule_id is not None else None
    return DecisionFacts(
        decision_pk=int(pk),
        decided_at=as_utc(decided_at),
        label=policy_id or NO_VIOLATION,
        reviewer=name,
        vendor=vendor,
        severity=int(severity or 1),
        confidence=None if confidence is None else float(confidence),
        reviewer_decisions_before=int(before),
        overturned=bool(overturned),
    )


def preview_plan(session: Session, document: dict[str, Any], *, days: int, now: datetime) -> Preview:
    """How many items per day the plan as written would have pulled from the queue's decisions of the
    last `days` days, by reason."""
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise InvalidInput("bad preview window", [FieldError("days", f"from 1 to {MAX_PREVIEW_DAYS}, got {days}")])
    spec = validate_plan(session, document)
    today = now.astimezone(UTC).date()
    window = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    start = datetime.combine(window[0], datetime.min.time(), tzinfo=UTC)
    rows = session.execute(_facts_query(Job.queue == spec.queue, Decision.decided_at >= start))
    return preview(spec, (_facts(row) for row in rows), window)


# --- sampling ---------------------------------------------------------------------------------------


def sample_decision(session: Session, decision_pk: int, *, now: datetime) -> QaSample | None:
    """Sample one decision under its queue's plan, once: opens its QA job and records the sample; None
    when the plan does not pick it (or it has no plan, was sampled already, or cannot be sampled)."""
    if session.scalar(select(QaSample.pk).where(QaSample.decision_pk == decision_pk)) is not None:
        return None
    queue = session.scalar(
        select(Job.queue).join(Decision, Decision.job_pk == Job.pk).where(Decision.pk == decision_pk)
    )
    plan = None if queue is None else _current_row(session, queue)
    if plan is None or not plan.active:
        return None  # the cheap way out, taken on every decision of a queue without a plan
    row = session.execute(_facts_query(Decision.pk == decision_pk, one=True)).first()
    if row is None:
        return None  # withdrawn, or a decision on a QA job, an appeal or a golden job
    reason = sample_reason(_spec(plan), _facts(row))
    if reason is None:
        return None
    return _open_qa_job(session, plan, decision_pk, reason, now)


def _open_qa_job(
    session: Session, plan: QaPlan, decision_pk: int, reason: SampleReason, now: datetime
) -> QaSample | None:
    loaded = current_review_config(session)
    queue = loaded.config.by_name.get(plan.qa_queue)
    original = session.get_one(Job, session.get_one(Decision, decision_pk).job_pk)
    if queue is None or open_job(session, queue.name, original.subject_type, original.subject_pk) is not None:
        return None  # the QA queue is gone, or the subject is already waiting for QA: one QA job at a time
    subject_type = SubjectType(original.subject_type)
    fact = subject_facts(session, subject_type, {original.subject_pk}).get(original.subject_pk)
    terms = original.priority_terms or {}
    inputs = PriorityInputs(
        original.severity,
        float(terms.get("confidence_input", 0.0)),
        fact.views if fact else 0,
        fact.followers if fact else 0,
        float(terms.get("weighted_reports", 0.0)),
    )
    new = NewJob(
        JobKind.QA,
        subject_type,
        original.subject_pk,
        original.policy_hint,  # what the job was opened under, as the original reviewer saw it: not the verdict
        inputs,
        language=original.language,
        country=original.country,
        surface=original.surface,
        report_count=original.report_count,
    )
    events: list[NewEvent] = []
    job = create_job(session, queue, new, config_version=loaded.version, now=now, principal=QA_PRINCIPAL, events=events)
    reports = list(session.scalars(select(JobReport.report_pk).where(JobReport.job_pk == original.pk)))
    session.add_all(JobReport(job_pk=job.pk, report_pk=pk) for pk in reports)
    for reviewer_pk in set(session.scalars(select(Decision.reviewer_pk).where(Decision.job_pk == original.pk))):
        exclude_reviewer(session, job.pk, reviewer_pk)  # nobody re-reviews their own job
    sample = QaSample(decision_pk=decision_pk, plan_pk=plan.pk, job_pk=job.pk, reason=reason.value, sampled_at=now)
    session.add(sample)
    session.flush()
    append_events(session, events, recorded_at=now)
    return sample


def sample_overturned(session: Session, appeal_id: str, *, now: datetime) -> QaSample | None:
    """An appeal was overturned: sample the decision it overturned (the `overturned` target)."""
    decision_pk = session.scalar(
        select(EnforcementAction.decision_pk)
        .join(Appeal, Appeal.action_pk == EnforcementAction.pk)
        .where(Appeal.external_id == appeal_id, Appeal.status == AppealStatus.OVERTURNED.value)
    )
    return None if decision_pk is None else sample_decision(session, decision_pk, now=now)


def catch_up(session: Session, *, since: datetime, now: datetime) -> int:
    """Sample again every decision since `since` of a queue with a plan: what a missed hook left out is
    sampled now, what was sampled stays as it is. Returns how many decisions were newly sampled."""
    queues = [row.queue for row in _current_rows(session)]
    if not queues:
        return 0
    unsampled = ~select(QaSample.pk).where(QaSample.decision_pk == Decision.pk).exists()
    pks = list(
        session.scalars(
            select(Decision.pk)
            .join(Job, Job.pk == Decision.job_pk)
            .where(and_(Job.queue.in_(queues), Decision.decided_at >= since, unsampled))
            .order_by(Decision.decided_at, Decision.pk)
        )
    )
    return sum(sample_decision(session, pk, now=now) is not None for pk in pks)


def sample_in_transaction(session: Session, decision_pk: int, queue: str, *, now: datetime) -> QaSample | None:
    """From the `decision_stored` hook: sample the decision in its own transaction, so that it is sampled
    (or not) exactly when it is recorded, and a crash loses neither. A catch-up never sees a decision
    before it is committed, so the two never race.

    A decision of a queue without an active plan (as this process last looked, at most a couple of
    seconds ago) costs no statement beyond that look."""
    if queue not in _planned.get(session, _planned_queues):
        return None
    sampled = sample_decision(session, decision_pk, now=now)
    if sampled is not None:
        log.debug("qa_sampled", decision=sampled.decision_pk, job=sampled.job_pk, reason=sampled.reason)
    return sampled


def sample_overturned_in_own_transaction(appeal_id: str, *, now: datetime) -> bool:
    """From the `appeal_decided` hook, after the appeal's commit: sample the overturned decision in a
    transaction of its own on the store that committed it (a concurrent catch-up loses to the unique
    key and changes nothing). True when it was sampled here."""
    return _in_own_transaction(lambda session: sample_overturned(session, appeal_id, now=now))


def _in_own_transaction(work: Callable[[Session], QaSample | None]) -> bool:
    try:
        with Session(announcing_store(), expire_on_commit=False) as session, session.begin():
            sampled = work(session)
    except IntegrityError:
        return False
    if sampled is not None:
        log.debug("qa_sampled", decision=sampled.decision_pk, job=sampled.job_pk, reason=sampled.reason)
    return sampled is not None
