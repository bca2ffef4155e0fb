"""Simulated reviewers work the review queues through the same services people use.

Every reviewer of the simulated workforce becomes a user (an in-house `reviewer`, or a
`vendor_reviewer` of their vendor). During their shift each one claims jobs with `claim_next_job`,
reads for a handle time drawn from their planted distribution, and decides with `decide`: right with
their planted accuracy for the item's true policy, otherwise a plausible mistake. Actioned accounts
appeal a share of actions (`bastion.simulate.appealing`); reviewers who did not decide work them.

Time is simulated and moves forward only: a heap orders the events (a reviewer free again, a
decision due, an appeal filed) and a `FrozenClock` follows them; nothing sleeps. Each claim and each
decision is a transaction of its own, as in the console.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, InvalidInput
from bastion.ingest.service import MAX_BATCH
from bastion.policy.service import current_policies
from bastion.review.access import may_work
from bastion.review.appeals import APPEALABLE
from bastion.review.claims import claim_next_job, escalate
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config
from bastion.review.decisions import Choice, decide
from bastion.review.jobs import JobStatus
from bastion.simulate.appealing import appeal_chance, appeal_choice, appeal_delay, file_simulated_appeal
from bastion.simulate.deciding import (
    Label,
    escalates,
    handle_seconds,
    justified_by,
    label_policy,
    planted_accuracy,
    review_choice,
    shift_bounds,
)
from bastion.simulate.quality_lead import QualityLead
from bastion.simulate.randomness import substream
from bastion.simulate.records import LabelledRecord, Payload, Record, RecordKind
from bastion.simulate.workforce import SimulatedReviewer
from bastion.simulate.world import World
from bastion.simulate.writer import PRINCIPAL, WriteSummary, write_platform
from bastion.store.database import Database
from bastion.store.schema import Appeal, ContentItem, Job, User

if TYPE_CHECKING:
    from bastion.detect.worker import DetectionWorker

# The simulated workforce's vendors under the names the review configuration gives them (its queues'
# `vendors:` lists). The one place the two vocabularies meet: Northwind's and Sahel's sites work the
# general queues as acme-review does; Meridian's Spanish and Portuguese sites are globalmod's LATAM team.
CONFIG_VENDORS: dict[str, str] = {
    "Northwind BPO": "acme-review",
    "Sahel Trust Services": "acme-review",
    "Meridian Review": "globalmod",
}
ESCALATION_NOTE = "possible real-world harm: needs a specialist's look"
APPEAL_HANDLE_FACTOR = 1.5
PAUSE_SECONDS = (5.0, 45.0)  # between two jobs
WAKE_SECONDS = (5.0, 600.0)  # from new work arriving to an idle reviewer noticing it
BULK_LIMIT = 10  # batches of records held back at most while no report comes
PROGRESS_EVERY = 5_000


@dataclass
class ReviewSummary:
    """What the simulated review floor did."""

    reviewers: int = 0
    claims: int = 0
    decisions: int = 0
    escalations: int = 0
    actions: int = 0
    appeals_filed: int = 0
    appeals_upheld: int = 0
    appeals_overturned: int = 0

    def describe(self) -> str:
        """One line for a terminal."""
        return (
            f"{self.reviewers} simulated reviewers made {self.decisions:,} decisions "
            f"({self.escalations:,} escalated) and took {self.actions:,} actions; "
            f"{self.appeals_filed:,} appeals filed, {self.appeals_overturned:,} overturned, "
            f"{self.appeals_upheld:,} upheld"
        )


def config_vendor(vendor: str) -> str:
    """The review configuration's name for a simulated vendor."""
    return CONFIG_VENDORS.get(vendor, vendor.lower().replace(" ", "-"))


def enlist(session: Session, workforce: Sequence[SimulatedReviewer], *, now: datetime) -> list[Principal]:
    """A user for every simulated reviewer (created once, reused after), as the principal they act as."""
    principals, created = [], []
    for reviewer in workforce:
        user = session.scalar(select(User).where(User.name == reviewer.id))
        if user is None:
            vendor = config_vendor(reviewer.vendor) if reviewer.vendor else None
            role = Role.QA if reviewer.qa else Role.VENDOR_REVIEWER if vendor else Role.REVIEWER
            user = add_user(
                session,
                reviewer.id,
                roles=frozenset({role}),
                password=None,
                now=now,
                vendor=vendor,
                languages=reviewer.languages,
                by=PRINCIPAL,
            )
            created.append(reviewer.id)
        principals.append(principal_of(user, via="system"))
    if created:
        audit_log.record(
            session,
            principal=PRINCIPAL,
            action="simulate.reviewers",
            target="simulator",
            at=now,
            details={"created": created},
        )
    return principals


@dataclass(frozen=True)
class _OnDuty:
    reviewer: SimulatedReviewer
    principal: Principal
    rng: random.Random
    queues: tuple[str, ...]  # the queues they may work, tightest SLA first


@dataclass(frozen=True)
class _Plan:
    """A claimed job and what the reviewer will do with it once they have read it."""

    job_pk: int
    kind: str
    choice: Choice | None  # None: escalate
    truth: str | None
    seconds: float


@dataclass(frozen=True)
class _Free:
    reviewer: int


@dataclass(frozen=True)
class _Finish:
    reviewer: int
    plan: _Plan


@dataclass(frozen=True)
class _FileAppeal:
    action_pk: int


_Event = _Free | _Finish | _FileAppeal


class ReviewFloor:
    """The simulated reviewers at work, driven forward in simulated time.

    `work_until(t)` runs every event before `t`; `arrived(t)` tells idle reviewers that new work came in;
    `close()` finishes the jobs in hand. Reviewers claim nothing from `until` on (appeals keep coming).
    """

    def __init__(
        self,
        database: Database,
        workforce: Sequence[SimulatedReviewer],
        labels: Mapping[str, Label],
        *,
        clock: FrozenClock,
        seed: int,
        until: datetime | None = None,
        max_decisions: int | None = None,
        share: float = 1.0,
    ) -> None:
        if not 0.0 < share <= 1.0:
            raise InvalidInput("the share of reviewers on duty must be above 0 and at most 1")
        self.database, self.clock, self.until, self.max_decisions = database, clock, until, max_decisions
        self._labels = labels
        self._rng = substream(seed, "reviewing")
        self._appeal_rng = substream(seed, "appealing")
        roster = list(workforce)
        if share < 1.0:
            kept = set(
                substream(seed, "reviewing/roster").sample(range(len(roster)), max(1, round(len(roster) * share)))
            )
            roster = [reviewer for index, reviewer in enumerate(roster) if index in kept]
        with database.transaction() as session:
            principals = enlist(session, roster, now=clock())
            self._config: ReviewConfig = current_review_config(session).config
            self._policies = current_policies(session)
        ordered = sorted(self._config.queues, key=lambda queue: (queue.sla_hours, queue.name))
        self._staff = [
            _OnDuty(
                reviewer,
                principal,
                substream(seed, f"reviewing/{reviewer.id}"),
                # The QA team re-reviews and does nothing else.
                tuple(
                    queue.name
                    for queue in ordered
                    if may_work(queue, principal) and (queue.kind == "qa" or not reviewer.qa)
                ),
            )
            for reviewer, principal in zip(roster, principals, strict=True)
        ]
        self.summary = ReviewSummary(reviewers=len(self._staff))
        self._heap: list[tuple[datetime, int, _Event]] = []
        self._sequence = 0
        self._idle: set[int] = set(range(len(self._staff)))
        self._justified: dict[int, bool] = {}
        self._planned = 0
        self._open: dict[str, Counter[str | None]] | None = None
        self.arrived(clock())

    # --- driving ------------------------------------------------------------------------------------

    def work_until(self, moment: datetime) -> None:
        """Run every event before `moment`, in time order; the clock then reads `moment`."""
        while self._heap and self._heap[0][0] < moment:
            at, _, event = heapq.heappop(self._heap)
            self._advance(at)
            if isinstance(event, _Free):
                self._free(event.reviewer)
            elif isinstance(event, _Finish):
                self._finish(event)
            else:
                self._file_appeal(event.action_pk)
        self._advance(moment)

    def arrived(self, moment: datetime) -> None:
        """New work may be waiting: idle reviewers notice it a little later."""
        self._open = None
        for index in sorted(self._idle):
            self._push(moment + timedelta(seconds=self._rng.uniform(*WAKE_SECONDS)), _Free(index))
        self._idle.clear()

    def close(self) -> None:
        """Finish the jobs reviewers hold; drop what nobody started."""
        while self._heap:
            at, _, event = heapq.heappop(self._heap)
            if isinstance(event, _Finish):
                self._advance(at)
                self._finish(event)

    @property
    def busy(self) -> bool:
        return bool(self._heap)

    def _advance(self, moment: datetime) -> None:
        if moment > self.clock():
            self.clock.advance(moment - self.clock())

    def _push(self, moment: datetime, event: _Event) -> None:
        self._sequence += 1
        heapq.heappush(self._heap, (moment, self._sequence, event))

    # --- events ---------------------------------------------------------------------------------------

    def _free(self, index: int) -> None:
        now = self.clock()
        if (self.until is not None and now >= self.until) or (
            self.max_decisions is not None and self._planned >= self.max_decisions
        ):
            return  # off duty for good
        duty = self._staff[index]
        start, _ = shift_bounds(duty.reviewer.shift, now)
        if now < start:
            self._push(start, _Free(index))
            return
        queues = self._queues_with_work(duty)
        plan = self._claim(duty, queues, now) if queues else None
        if plan is None:
            self._idle.add(index)
            return
        self._push(now + timedelta(seconds=plan.seconds), _Finish(index, plan))

    def _queues_with_work(self, duty: _OnDuty) -> list[str]:
        if self._open is None:
            self._open = self._open_work()
        languages = set(duty.reviewer.languages)
        return [
            name
            for name in duty.queues
            if (waiting := self._open.get(name))
            and any(count > 0 and (language is None or language in languages) for language, count in waiting.items())
        ]

    def _open_work(self) -> dict[str, Counter[str | None]]:
        """How many claimable jobs each queue holds, by language: who could find work, without claiming.

        Read again whenever new work arrives; a claim takes its job off the count meanwhile.
        """
        now = self.clock()
        with self.database.transaction() as session:
            rows = session.execute(
                select(Job.queue, Job.language, func.count())
                .where(
                    or_(
                        Job.status == JobStatus.OPEN.value,
                        and_(Job.status == JobStatus.CLAIMED.value, Job.lease_expires_at < now),
                    )
                )
                .group_by(Job.queue, Job.language)
            )
            found: dict[str, Counter[str | None]] = defaultdict(Counter)
            for queue, language, count in rows:
                found[str(queue)][language] = int(count)
        return found

    def _claim(self, duty: _OnDuty, queues: list[str], now: datetime) -> _Plan | None:
        with self.database.transaction() as session:
            for name in queues:
                job = claim_next_job(session, name, duty.principal, now=now)
                if job is not None:
                    if self._open is not None:
                        self._open[job.queue][job.language] -= 1
                    self.summary.claims += 1
                    return self._plan(session, duty, job)
        return None

    def _plan(self, session: Session, duty: _OnDuty, job: Job) -> _Plan:
        rng, reviewer = duty.rng, duty.reviewer
        truth = self._truth_of(session, job)
        seconds = handle_seconds(rng, reviewer.handle_time)
        if job.kind == "appeal":
            justified = self._appeal_justified(session, job, truth)
            accuracy = planted_accuracy(reviewer, truth, job.policy_hint)
            choice, _ = appeal_choice(rng, accuracy, justified, job.policy_hint)
            seconds *= APPEAL_HANDLE_FACTOR
        else:
            if job.kind == "review" and escalates(rng, self._policies.get(truth) if truth else None):
                return _Plan(job.pk, job.kind, None, truth, seconds)
            rationale = self._config.queue(job.queue).rationale_required
            choice, _ = review_choice(rng, reviewer, truth, job.policy_hint, self._policies, rationale=rationale)
        self._planned += 1
        spent = Choice(choice.policy, choice.action, choice.rationale, seconds)
        return _Plan(job.pk, job.kind, spent, truth, seconds)

    def _truth_of(self, session: Session, job: Job) -> str | None:
        if job.subject_type != SubjectType.CONTENT.value:
            return None  # accounts carry no hidden label: a reviewer who is right finds nothing to act on
        external = session.scalar(select(ContentItem.external_id).where(ContentItem.pk == job.subject_pk))
        return label_policy(self._labels.get(str(external)))

    def _appeal_justified(self, session: Session, job: Job, truth: str | None) -> bool:
        appealed = session.scalars(select(Appeal.action_pk).where(Appeal.job_pk == job.pk, Appeal.status == "open"))
        known = [self._justified[pk] for pk in appealed if pk in self._justified]
        if known:
            return all(known)
        if job.subject_type != SubjectType.CONTENT.value:
            return True
        return justified_by(job.policy_hint, truth)

    def _finish(self, event: _Finish) -> None:
        now, plan, duty = self.clock(), event.plan, self._staff[event.reviewer]
        new_work = True
        with self.database.transaction() as session:
            if plan.choice is None:
                escalate(session, plan.job_pk, duty.principal, now=now, note=ESCALATION_NOTE)
                self.summary.escalations += 1
                taken: list[tuple[int, str, str | None]] = []
            else:
                outcome = decide(session, plan.job_pk, duty.principal, plan.choice, now=now)
                self.summary.decisions += 1
                new_work = not outcome.final
                # What the platform will receive: a golden job's answer lists stand-ins, never stored or sent.
                taken = [
                    (action.pk, action.action, action.policy_id)
                    for action in outcome.actions
                    if not inspect(action).transient
                ]
        if plan.kind == "appeal" and plan.choice is not None and not new_work:
            if plan.choice.action == "overturn":
                self.summary.appeals_overturned += 1
            else:
                self.summary.appeals_upheld += 1
        elif plan.kind != "appeal":
            for action_pk, action, policy in taken:
                self.summary.actions += 1
                justified = justified_by(policy, plan.truth)
                self._justified[action_pk] = justified
                if action in APPEALABLE and self._appeal_rng.random() < appeal_chance(justified):
                    self._push(now + appeal_delay(self._appeal_rng), _FileAppeal(action_pk))
        if new_work:
            self.arrived(now)
        self._push(now + timedelta(seconds=duty.rng.uniform(*PAUSE_SECONDS)), _Free(event.reviewer))

    def _file_appeal(self, action_pk: int) -> None:
        if file_simulated_appeal(self.database, self._appeal_rng, action_pk, now=self.clock()):
            self.summary.appeals_filed += 1
            self.arrived(self.clock())


def work_queues(
    database: Database,
    workforce: World | Sequence[SimulatedReviewer],
    labels: Mapping[str, Label],
    *,
    clock: FrozenClock,
    seed: int,
    hours: float | None = None,
    max_decisions: int | None = None,
    share: float = 1.0,
) -> ReviewSummary:
    """Let the simulated reviewers work the queues of a written platform from `clock()` on.

    They stop after `hours` of simulated time or `max_decisions` decisions (one of the two is needed),
    or when no work is left. `labels` maps content ids to their hidden truth (a missing id breaks no
    rule); `share` puts only that share of the workforce on duty.
    """
    if hours is None and max_decisions is None:
        raise InvalidInput("say how long the reviewers work: hours or max_decisions")
    reviewers = workforce.workforce if isinstance(workforce, World) else tuple(workforce)
    until = clock() + timedelta(hours=hours) if hours is not None else None
    floor = ReviewFloor(
        database, reviewers, labels, clock=clock, seed=seed, until=until, max_decisions=max_decisions, share=share
    )
    if until is not None:
        floor.work_until(until)
    else:
        while floor.busy:
            floor.work_until(clock() + timedelta(days=1))
    floor.close()
    return floor.summary


class _LiveWriter:
    """Ingests a record stream hour by hour as reports come in, letting the review floor work in between.

    The records of an hour with reports are written at its end, with the clock there, so each job
    opens about when its report was filed. Views wait for a full batch: nothing refers to them.
    """

    def __init__(
        self,
        database: Database,
        floor: ReviewFloor,
        clock: FrozenClock,
        batch_size: int,
        detection: bool,
        lead: QualityLead,
    ) -> None:
        self.database, self.floor, self.clock, self.batch_size = database, floor, clock, batch_size
        self.lead = lead
        self.detection = _detection_worker(database, clock) if detection else None
        self.written = WriteSummary()
        self.pending: list[Record] = []
        self.views: list[Record] = []
        self.window: str | None = None  # the hour ("YYYY-MM-DDTHH") of the reports in `pending`

    def add(self, kind: RecordKind, payload: Payload) -> None:
        if kind is not RecordKind.ACTORS:
            at = str(payload.get("created_at") or payload["viewed_at"])
            if self.window is not None and at[:13] > self.window:
                self.flush(datetime.fromisoformat(f"{self.window}:00:00+00:00") + timedelta(hours=1))
            elif self.window is None and len(self.pending) >= BULK_LIMIT * self.batch_size:
                self.flush(datetime.fromisoformat(at))
            if kind is RecordKind.REPORTS and self.window is None:
                self.window = at[:13]
        (self.views if kind is RecordKind.VIEWS else self.pending).append((kind, payload))

    def flush(self, moment: datetime, *, last: bool = False) -> None:
        self.floor.work_until(moment)
        batch = self.pending
        if last or len(self.views) >= self.batch_size:
            batch, self.views = self.pending + self.views, []
        part = write_platform(self.database, batch, clock=self.clock, batch_size=self.batch_size)
        for kind, count in part.written.items():
            self.written.written[kind] += count
        self.written.duplicates += part.duplicates
        if self.detection is not None:
            # Detection runs on what was just posted before the reviewers see the hour's work.
            self.detection.run(threading.Event(), once=True)
        self.lead.hour_passed(moment)
        if self.window is not None:
            self.floor.arrived(moment)
        self.pending, self.window = [], None


def _detection_worker(database: Database, clock: FrozenClock) -> DetectionWorker:
    from bastion.detect.service import detect_for_worker
    from bastion.detect.worker import DetectionWorker

    return DetectionWorker(database, detect_for_worker, clock)


def write_and_review(
    database: Database,
    world: World,
    *,
    records: Iterable[LabelledRecord] | None = None,
    review_until: datetime | None = None,
    batch_size: int = MAX_BATCH,
    progress: Callable[[int], None] | None = None,
    detection: bool = True,
) -> tuple[WriteSummary, ReviewSummary]:
    """Write a simulated platform in time order while detection runs on what is posted, its reviewers work
    the queues (filled by reports and by the rules in force) and its users appeal.

    Each job opens about when its report was filed, and reviewers take it in their next free moment.
    Reviewers claim nothing from `review_until` on (default: the end of the simulation), which leaves
    the most recent work open. `records` replaces the world's own pass (e.g. a slice of it, in tests).
    """
    spec = world.spec
    end = spec.start + timedelta(days=spec.days)
    with database.transaction() as session:
        latest = session.scalar(select(func.max(Job.created_at)))
    if latest is not None and latest > spec.start:
        # Reviewers working from the simulation's start would take jobs that do not exist yet.
        raise Conflict(
            f"the store holds review jobs from {latest:%Y-%m-%d %H:%M}, after the simulation's start: "
            "simulate reviews into a fresh store"
        )
    clock = FrozenClock(spec.start)
    labels: dict[str, str] = {}  # only violating items: memory stays small at any scale
    staff = (*world.workforce, *world.qa_team)
    floor = ReviewFloor(database, staff, labels, clock=clock, seed=spec.seed, until=review_until or end)
    lead = QualityLead(database, spec.seed)
    lead.plan_qa(now=clock())
    writer = _LiveWriter(database, floor, clock, batch_size, detection, lead)
    seen = 0
    for kind, payload, truth in world.labelled_records() if records is None else records:
        if kind is RecordKind.CONTENT:
            policy = truth.policy if truth is not None else None
            if policy is not None:
                labels[payload["id"]] = policy
            lead.posted(str(payload["id"]), policy)
        writer.add(kind, payload)
        seen += 1
        if progress is not None and seen % PROGRESS_EVERY == 0:
            progress(seen)
    writer.flush(max(end, clock()), last=True)
    floor.close()
    if progress is not None:
        progress(seen)
    return writer.written, floor.summary
