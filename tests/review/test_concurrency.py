"""Many reviewers, one queue: every job is decided exactly once, and a vanished reviewer loses nothing.

Real threads, each with its own pooled connection, run the service path the API runs: claim in one
transaction, decide in another. 32 reviewers on PostgreSQL (SKIP LOCKED lets them pass each other),
8 on SQLite (BEGIN IMMEDIATE takes turns).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.domain.events import EventKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict
from bastion.review.claims import claim_next_job
from bastion.review.config_store import current_review_config
from bastion.review.decisions import Choice, decide
from bastion.review.intake import NewWork, open_jobs
from bastion.store.database import Database
from bastion.store.schema import Decision, Event, Job
from tests.review.jobs_factory import lift_exposure_caps, make_jobs, make_reviewers

JOBS = 5_000
REVIEWERS = {"postgresql": 32, "sqlite": 8}
DYING = 3  # reviewers who claim one job each and vanish without deciding
QUEUE = "general"
NOTHING_WRONG = Choice("none", "no_action")


class Ledger:
    """What the reviewer threads did, shared under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[int, str] = {}
        self.claims: list[tuple[int, str]] = []
        self.decided: list[tuple[int, str]] = []
        self.overlaps: list[str] = []
        self.errors: list[BaseException] = []

    def claimed(self, job_pk: int, reviewer: str) -> None:
        with self.lock:
            holder = self.in_flight.get(job_pk)
            if holder is not None:
                self.overlaps.append(f"job {job_pk} claimed by {reviewer} while {holder} held it")
            self.in_flight[job_pk] = reviewer
            self.claims.append((job_pk, reviewer))

    def done(self, job_pk: int, reviewer: str) -> None:
        with self.lock:
            self.in_flight.pop(job_pk, None)
            self.decided.append((job_pk, reviewer))


def _work_queue(database: Database, clock: FrozenClock, reviewer: Principal, ledger: Ledger) -> None:
    try:
        while True:
            with database.transaction() as session:
                job = claim_next_job(session, QUEUE, reviewer, now=clock())
                job_pk = None if job is None else job.pk
            if job_pk is None:
                return
            ledger.claimed(job_pk, reviewer.name)
            with database.transaction() as session:
                decide(session, job_pk, reviewer, NOTHING_WRONG, now=clock())
            ledger.done(job_pk, reviewer.name)
    except BaseException as exc:  # collected and asserted on by the test
        with ledger.lock:
            ledger.errors.append(exc)


def _drain(database: Database, clock: FrozenClock, reviewers: list[Principal], ledger: Ledger) -> None:
    threads = [
        threading.Thread(target=_work_queue, args=(database, clock, r, ledger), name=r.name, daemon=True)
        for r in reviewers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a reviewer thread hung"


@pytest.mark.timeout(240)
def test_many_reviewers_decide_every_job_exactly_once(database: Database, clock: FrozenClock) -> None:
    workers = REVIEWERS[database.dialect]
    lift_exposure_caps(database, clock())
    jobs = set(make_jobs(database, JOBS, queue=QUEUE, now=clock()))
    reviewers = make_reviewers(database, workers + DYING, clock())
    living, dying = reviewers[:workers], reviewers[workers:]

    # Some reviewers claim a job each and vanish: the others drain the queue around their leases.
    abandoned = set()
    for reviewer in dying:
        with database.transaction() as session:
            job = claim_next_job(session, QUEUE, reviewer, now=clock())
            assert job is not None
            abandoned.add(job.pk)
    ledger = Ledger()
    _drain(database, clock, living, ledger)
    assert not ledger.errors, ledger.errors[:3]
    assert {pk for pk, _ in ledger.decided} == jobs - abandoned

    # Their leases run out; the abandoned jobs come back and are decided too.
    with database.transaction() as session:
        lease = current_review_config(session).config.lease_minutes
    clock.advance(timedelta(minutes=lease, seconds=1))
    _drain(database, clock, living, ledger)

    assert not ledger.errors, ledger.errors[:3]
    assert not ledger.overlaps, ledger.overlaps[:3]
    claims = Counter(pk for pk, _ in ledger.claims)
    assert set(claims) == jobs and max(claims.values()) == 1
    assert Counter(pk for pk, _ in ledger.decided) == Counter(jobs)
    assert {pk for pk, _ in ledger.decided[-DYING:]} == abandoned
    with database.transaction() as session:
        per_job = Counter(dict(session.execute(select(Decision.job_pk, func.count()).group_by(Decision.job_pk)).all()))
        assert set(per_job) == jobs and set(per_job.values()) == {1}
        # ... each by the reviewer whose thread decided it.
        user_pks = {r.name: r.user_pk for r in living}
        stored = {(int(job), int(user)) for job, user in session.execute(select(Decision.job_pk, Decision.reviewer_pk))}
        assert stored == {(pk, user_pks[name]) for pk, name in ledger.decided}
        statuses = Counter(dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all()))
        assert statuses == {"decided": JOBS}
        kinds = Counter(
            dict(
                session.execute(
                    select(Event.kind, func.count())
                    .where(Event.kind.in_([EventKind.JOB_CLAIMED, EventKind.DECISION_MADE]))
                    .group_by(Event.kind)
                ).all()
            )
        )
        assert kinds == {EventKind.JOB_CLAIMED: JOBS + DYING, EventKind.DECISION_MADE: JOBS}
        # Every claim and decision appended to one hash chain that never forked.
        assert audit_log.verify(session).rows >= 2 * JOBS + DYING


def test_an_expired_lease_returns_the_job_and_the_late_decision_fails(database: Database, clock: FrozenClock) -> None:
    make_jobs(database, 1, queue=QUEUE, now=clock())
    ana, ben = make_reviewers(database, 2, clock())
    with database.transaction() as session:
        job = claim_next_job(session, QUEUE, ana, now=clock())
        assert job is not None
        lease = current_review_config(session).config.lease_minutes
    with database.transaction() as session:
        assert claim_next_job(session, QUEUE, ben, now=clock()) is None  # leased: nobody else gets it

    clock.advance(timedelta(minutes=lease, seconds=1))  # ana has vanished; her lease runs out
    with database.transaction() as session:
        again = claim_next_job(session, QUEUE, ben, now=clock())
        assert again is not None and again.pk == job.pk and again.lease_owner == ben.user_pk
    with database.transaction() as session:
        assert decide(session, job.pk, ben, NOTHING_WRONG, now=clock()).final

    with pytest.raises(Conflict), database.transaction() as session:
        decide(session, job.pk, ana, NOTHING_WRONG, now=clock())
    with database.transaction() as session:
        assert session.scalars(select(Decision.reviewer_pk).where(Decision.job_pk == job.pk)).all() == [ben.user_pk]


def test_an_expired_lease_fails_the_late_decision_even_before_anyone_reclaims(
    database: Database, clock: FrozenClock
) -> None:
    make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        job = claim_next_job(session, QUEUE, ana, now=clock())
        assert job is not None
        lease = current_review_config(session).config.lease_minutes
    clock.advance(timedelta(minutes=lease))
    with pytest.raises(Conflict, match="run out"), database.transaction() as session:
        decide(session, job.pk, ana, NOTHING_WRONG, now=clock())


def test_the_jobs_factory_makes_the_jobs_intake_makes(database: Database, clock: FrozenClock) -> None:
    (made,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    with database.transaction() as session:
        ours = session.get_one(Job, made)
        session.execute(update(Job).where(Job.pk == made).values(status="cancelled"))
        work = NewWork(SubjectType.CONTENT, ours.subject_pk, None, None, 1.0)
        (theirs_pk,) = open_jobs(session, [work], now=clock(), principal="system:test")
        theirs = session.get_one(Job, theirs_pk)
        columns = [c.key for c in Job.__table__.columns if c.key not in ("pk", "status")]
        assert {c: getattr(ours, c) for c in columns} == {c: getattr(theirs, c) for c in columns}
        assert theirs.status == "open"
