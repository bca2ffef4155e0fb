"""Serving golden items as jobs that look like every other job of their queue, and answering their decisions
the way a real decision is answered, without enforcing anything.

Rate: a set's `share` is a share of each queue's inflow, and `per_day` a number of golden jobs a day in
each queue it has items for. Every serving step (each minute in `bastion serve`, or `bastion quality
golden serve`, once or `--every` N seconds) counts the real jobs opened in the queue over the last 24
hours and opens golden jobs until the set's golden jobs of that window reach `share` of them plus
`per_day`. With `share` alone golden jobs arrive with the inflow: a quiet queue gets few, a busy one
more, none when nothing comes in; `per_day` keeps a steady dose (a team whose reviewers have time to
spare measures them sooner).

Look: a golden job is opened by the one job constructor (`review.jobs.create_job`) in the item's queue,
of the queue's kind. Its priority inputs mirror the item's original job (the newest real job on the same
content: its severity, suggested policy, detection confidence, weighted reports and rule), whose reports
are attached to it, so its priority, claim rank, reports and reviews required are drawn exactly as the
queue's real jobs are; reach is the content's own. `jobs.golden_pk` is read by no view.

Decisions: a golden job's decision is recorded like any other (decision, event, audit row, the
`decision_made` hook) and never enforced (`TakenJob.measures_quality`). Its answer lists the actions a
real decision would have taken, as stand-ins that are never stored: no enforcement action, no webhook
message, nothing counted in enforcement figures. Their ids are reserved from the enforcement actions'
own sequence on PostgreSQL, so no real action ever takes them (a gap, as a rolled-back insert leaves).
SQLite has no sequence to reserve from: there the stand-in takes the next free id, which the next real
action takes too.
"""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.orm import Session

from bastion.domain.events import NewEvent
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.policy.service import PolicyRecord
from bastion.review.config import QueueSpec
from bastion.review.config_store import current_review_config
from bastion.review.facts import subject_facts
from bastion.review.intake import reporter_trust_of
from bastion.review.jobs import OPEN_STATES, NewJob, create_job
from bastion.review.priority import UNKNOWN_REPORTER_TRUST, PriorityInputs
from bastion.store.database import Database
from bastion.store.events import append_events
from bastion.store.schema import Decision, EnforcementAction, Job, JobReport, Report
from bastion.store.schema.golden import GoldenItem, GoldenSet

WINDOW = timedelta(hours=24)
NO_ACTION = "no_action"
SERVING_PRINCIPAL = "system:bastion"
log = structlog.get_logger(__name__)


def serve_golden_jobs(
    session: Session, *, now: datetime, rng: random.Random, principal: str, set_name: str | None = None
) -> list[int]:
    """Open the golden jobs due now (see the module notes); returns their pks."""
    since = now - WINDOW
    loaded = current_review_config(session)
    query = select(GoldenSet).where(or_(GoldenSet.share > 0, GoldenSet.per_day > 0)).order_by(GoldenSet.name)
    if set_name is not None:
        query = query.where(GoldenSet.name == set_name)
    opened: list[int] = []
    for golden_set in session.scalars(query):
        items = session.scalars(
            select(GoldenItem)
            .where(GoldenItem.golden_set == golden_set.name, GoldenItem.retired_at.is_(None))
            .order_by(GoldenItem.pk)
        )
        by_queue: dict[str, list[GoldenItem]] = defaultdict(list)
        for item in items:
            by_queue[item.queue].append(item)
        for queue_name, queue_items in by_queue.items():
            queue = loaded.config.by_name.get(queue_name)
            if queue is None:
                continue  # the queue left the configuration: nothing to serve it in
            due = _due(session, golden_set, queue_name, since)
            if due <= 0:
                continue
            candidates = _servable(session, queue_items, queue_name)
            rng.shuffle(candidates)
            for item in candidates[:due]:
                opened.append(_open_golden_job(session, item, queue, loaded.version, now=now, principal=principal))
    return opened


def _due(session: Session, golden_set: GoldenSet, queue: str, since: datetime) -> int:
    real = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.queue == queue, Job.golden_pk.is_(None), Job.kind != JobKind.QA.value, Job.created_at >= since)
    )
    served = session.scalar(
        select(func.count())
        .select_from(Job)
        .join(GoldenItem, GoldenItem.pk == Job.golden_pk)
        .where(Job.queue == queue, GoldenItem.golden_set == golden_set.name, Job.created_at >= since)
    )
    return math.floor(golden_set.share * int(real or 0)) + golden_set.per_day - int(served or 0)


def _servable(session: Session, items: list[GoldenItem], queue: str) -> list[GoldenItem]:
    """Items with no golden job open, whose content has no real job open in the queue (two jobs on one
    post side by side would tell)."""
    content = [item.content_pk for item in items]
    busy = set(
        session.scalars(
            select(Job.subject_pk).where(
                Job.queue == queue,
                Job.subject_type == SubjectType.CONTENT.value,
                Job.subject_pk.in_(content),
                Job.status.in_(OPEN_STATES),
            )
        )
    )
    return [item for item in items if item.content_pk not in busy]


def _open_golden_job(
    session: Session, item: GoldenItem, queue: QueueSpec, config_version: int, *, now: datetime, principal: str
) -> int:
    original = session.scalar(
        select(Job)
        .where(
            Job.subject_type == SubjectType.CONTENT.value,
            Job.subject_pk == item.content_pk,
            Job.golden_pk.is_(None),
            Job.kind.in_((JobKind.REVIEW.value, JobKind.ESCALATION.value)),
        )
        .order_by((Job.queue == queue.name).desc(), Job.created_at.desc(), Job.pk.desc())
        .limit(1)
    )
    facts = subject_facts(session, SubjectType.CONTENT, {item.content_pk})[item.content_pk]
    report_pks: list[int] = []
    if original is not None:
        terms = original.priority_terms or {}
        report_pks, weighted = _reports_weighed_now(session, original.pk)
        inputs = PriorityInputs(
            original.severity, float(terms.get("confidence_input", 0.0)), facts.views, facts.followers, weighted
        )
        policy_hint, reports = original.policy_hint, len(report_pks)
        rule_id, rule_version = original.rule_id, original.rule_version
    else:
        inputs = PriorityInputs(1, 0.0, facts.views, facts.followers, 0.0)
        policy_hint, reports, rule_id, rule_version = None, 0, None, None
    new = NewJob(
        JobKind(queue.kind),
        SubjectType.CONTENT,
        item.content_pk,
        policy_hint,
        inputs,
        language=facts.language,
        country=facts.country,
        surface=facts.surface,
        report_count=reports,
        rule_id=rule_id,
        rule_version=rule_version,
        golden_pk=item.pk,
    )
    events: list[NewEvent] = []
    job = create_job(session, queue, new, config_version=config_version, now=now, principal=principal, events=events)
    if report_pks:
        # The original job's reports, so the console shows what a real job on this post shows.
        session.execute(insert(JobReport), [{"job_pk": job.pk, "report_pk": pk} for pk in report_pks])
    append_events(session, events, recorded_at=now)
    return job.pk


def _reports_weighed_now(session: Session, job_pk: int) -> tuple[list[int], float]:
    """The job's reports and their weight as intake would give them today: each reporter's trust now."""
    rows = list(
        session.execute(
            select(Report.pk, Report.reporter_id)
            .join(JobReport, JobReport.report_pk == Report.pk)
            .where(JobReport.job_pk == job_pk)
            .order_by(Report.pk)
        )
    )
    trust = reporter_trust_of(session, {reporter for _, reporter in rows if reporter})
    weighted = sum(
        trust.get(reporter, UNKNOWN_REPORTER_TRUST) if reporter else UNKNOWN_REPORTER_TRUST for _, reporter in rows
    )
    return [pk for pk, _ in rows], float(weighted)


def stand_in_actions(
    session: Session,
    subject_type: str,
    subject_pk: int,
    verdict: Decision,
    record: PolicyRecord | None,
    *,
    now: datetime,
) -> list[EnforcementAction]:
    """What a golden decision answers in place of its enforcement: the action a real decision would have
    taken, never stored (see the module notes)."""
    if record is None or verdict.action == NO_ACTION:
        return []
    return [
        EnforcementAction(
            pk=_reserve_action_pk(session),
            subject_type=subject_type,
            subject_pk=subject_pk,
            action=verdict.action,
            policy_id=record.policy.id,
            policy_version=record.version,
            reason="decision",
            created_at=now,
        )
    ]


def _reserve_action_pk(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return int(session.scalar(text("SELECT nextval(pg_get_serial_sequence('enforcement_actions', 'pk'))")) or 0)
    return int(session.scalar(select(func.coalesce(func.max(EnforcementAction.pk), 0) + 1)) or 1)


class GoldenServingThread:
    """The serving step every `interval_seconds` in a background thread of this process (what `bastion serve`
    runs beside the API), until stopped. A failed step is logged by its error's type and tried again."""

    def __init__(self, database: Database, clock: Callable[[], datetime], *, interval_seconds: float = 60.0) -> None:
        self.database = database
        self.clock = clock
        self.interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rng = random.SystemRandom()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bastion-golden-serving", daemon=True)
        self._thread.start()

    def step(self) -> int:
        """One serving step; the number of golden jobs opened."""
        with self.database.transaction() as session:
            opened = serve_golden_jobs(session, now=self.clock(), rng=self._rng, principal=SERVING_PRINCIPAL)
        return len(opened)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception as error:  # the store is down: try again at the next step
                log.error("golden_serving_failed", error_type=type(error).__name__)
            self._stopping.wait(self.interval_seconds)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
