"""Deciding takes the job by one guarded update; anything refused leaves nothing written; "submit and
next" decides and claims the next job in one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.events import EventKind
from bastion.errors import Conflict, InvalidInput, NotFound
from bastion.review.claims import claim_next_job_pk
from bastion.review.decisions import Choice, decide, decide_and_claim_next
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, Decision, Event, Job
from tests.review.jobs_factory import make_jobs, make_reviewers

QUEUE = "general"
NOTHING_WRONG = Choice("none", "no_action")


def _counts(database: Database) -> tuple[int, int, int]:
    with database.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Decision)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def test_a_decision_closes_the_job_and_records_its_event_and_audit_row(database: Database, clock: FrozenClock) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        assert claim_next_job_pk(session, QUEUE, ana, now=clock()) == job_pk
    with database.transaction() as session:
        outcome = decide(session, job_pk, ana, NOTHING_WRONG, now=clock())
        assert outcome.final and outcome.decision.final and outcome.actions == []
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        assert (job.status, job.reviews_done, job.lease_owner, job.lease_expires_at) == ("decided", 1, None, None)
        assert job.decided_at == clock()
        decision = session.get_one(Decision, outcome.decision.pk)
        assert (decision.reviewer_pk, decision.round, decision.action, decision.final) == (
            ana.user_pk,
            1,
            "no_action",
            True,
        )
        made = session.scalars(select(Event).where(Event.kind == EventKind.DECISION_MADE)).one()
        assert made.data == {"job": job_pk, "policy": None, "action": "no_action", "round": 1, "rationale": ""}
        audit_log.verify(session)  # seals the decision's row (PostgreSQL appends it unsealed), then checks it
        row = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).one()
        assert (row.action, row.target, row.principal) == ("job.decide", f"job:{job_pk}", ana.name)
        assert row.details == {"policy": None, "action": "no_action", "round": 1}


def test_a_refused_decision_leaves_the_job_leased_and_nothing_written(database: Database, clock: FrozenClock) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        claim_next_job_pk(session, QUEUE, ana, now=clock())
    before = _counts(database)
    # The guarded update has taken (and closed) the job before the choice is found wanting: all rolled back.
    with pytest.raises(InvalidInput), database.transaction() as session:
        decide(session, job_pk, ana, Choice("no.such.policy", "remove"), now=clock())
    assert _counts(database) == before
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        assert (job.status, job.lease_owner, job.reviews_done) == ("claimed", ana.user_pk, 0)
    with database.transaction() as session:
        assert decide(session, job_pk, ana, NOTHING_WRONG, now=clock()).final


@pytest.mark.parametrize("given", [None, 3.25])
def test_a_decision_naming_a_policy_records_its_time_and_enforcement(
    database: Database, clock: FrozenClock, given: float | None
) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        claim_next_job_pk(session, QUEUE, ana, now=clock())
        subject_pk = session.get_one(Job, job_pk).subject_pk
    clock.advance(timedelta(seconds=12, microseconds=345_678))
    choice = Choice("hate_speech", "remove", " dehumanising ", seconds_spent=given)
    with database.transaction() as session:
        outcome = decide(session, job_pk, ana, choice, now=clock())
        assert outcome.final and [a.action for a in outcome.actions] == ["remove"]
    spent = 12.345678 if given is None else given
    with database.transaction() as session:
        decision = session.get_one(Decision, outcome.decision.pk)
        assert (decision.policy_id, decision.action, decision.rationale, decision.harm_type) == (
            "hate_speech",
            "remove",
            "dehumanising",
            "hate_speech",
        )
        assert (decision.round, decision.final, decision.seconds_spent, decision.decided_at) == (
            1,
            True,
            spent,
            clock(),
        )
        assert outcome.decision.seconds_spent == spent and outcome.decision.policy_version == decision.policy_version
        made = session.scalars(select(Event).where(Event.kind == EventKind.DECISION_MADE)).one()
        assert (made.subject_type, made.subject_pk, made.principal) == ("content", subject_pk, ana.name)
        assert made.data == {
            "job": job_pk,
            "policy": "hate_speech",
            "action": "remove",
            "round": 1,
            "rationale": "dehumanising",
        }
        row = session.scalars(select(AuditRecord).where(AuditRecord.action == "job.decide")).one()
        assert row.details == {"policy": "hate_speech", "action": "remove", "round": 1}
        audit_log.verify(session)


def test_a_long_awkward_rationale_is_recorded_as_python_would_record_it(database: Database, clock: FrozenClock) -> None:
    # On PostgreSQL a first-round decision builds its event's data and its audit row in the statement.
    rationale = 'said "vermin"\n\\ ünï \t' + "✓" * 600
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        claim_next_job_pk(session, QUEUE, ana, now=clock())
    with database.transaction() as session:
        decide(session, job_pk, ana, Choice("hate_speech", "remove", rationale), now=clock())
    with database.transaction() as session:
        made = session.scalars(select(Event).where(Event.kind == EventKind.DECISION_MADE)).one()
        assert made.data["rationale"] == rationale[:500] and len(made.data["rationale"]) == 500
        assert made.data == {"job": job_pk, "policy": "hate_speech", "action": "remove", "round": 1} | {
            "rationale": rationale[:500]
        }
        assert session.scalars(select(Decision.rationale)).one() == rationale
        audit_log.verify(session)  # the hash of the row as stored, against the chain
        row = session.scalars(select(AuditRecord).where(AuditRecord.action == "job.decide")).one()
        assert (row.target, row.principal, row.details) == (
            f"job:{job_pk}",
            ana.name,
            {"policy": "hate_speech", "action": "remove", "round": 1},
        )


@pytest.mark.parametrize("choice", [Choice("hate_speech", "escalate"), Choice("none", "remove")])
def test_a_choice_refused_after_the_job_is_taken_writes_nothing(
    database: Database, clock: FrozenClock, choice: Choice
) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        claim_next_job_pk(session, QUEUE, ana, now=clock())
    before = _counts(database)
    with pytest.raises(InvalidInput), database.transaction() as session:
        decide(session, job_pk, ana, choice, now=clock())
    assert _counts(database) == before
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        assert (job.status, job.lease_owner, job.reviews_done) == ("claimed", ana.user_pk, 0)


def test_a_decision_on_a_job_not_held_says_why(database: Database, clock: FrozenClock) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    ana, ben = make_reviewers(database, 2, clock())
    with pytest.raises(NotFound), database.transaction() as session:
        decide(session, 10**9, ana, NOTHING_WRONG, now=clock())
    with pytest.raises(Conflict, match="not leased"), database.transaction() as session:
        decide(session, job_pk, ana, NOTHING_WRONG, now=clock())  # open, nobody's
    with database.transaction() as session:
        claim_next_job_pk(session, QUEUE, ana, now=clock())
    with pytest.raises(Conflict, match="not leased"), database.transaction() as session:
        decide(session, job_pk, ben, NOTHING_WRONG, now=clock())
    with database.transaction() as session:
        decide(session, job_pk, ana, NOTHING_WRONG, now=clock())
    with pytest.raises(Conflict, match="not leased"), database.transaction() as session:
        decide(session, job_pk, ana, NOTHING_WRONG, now=clock())  # decided already: exactly once


def test_submit_and_next_decides_and_claims_the_next_job_in_one_transaction(
    database: Database, clock: FrozenClock
) -> None:
    first, second = make_jobs(database, 2, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        held = claim_next_job_pk(session, QUEUE, ana, now=clock())
    assert held in (first, second)
    with database.transaction() as session:
        outcome, following = decide_and_claim_next(session, held, ana, NOTHING_WRONG, now=clock())
        assert outcome.final and following == ({first, second} - {held}).pop()
    with database.transaction() as session:
        assert session.get_one(Job, held).status == "decided"
        nxt = session.get_one(Job, following)
        assert (nxt.status, nxt.lease_owner) == ("claimed", ana.user_pk)
    with database.transaction() as session:
        outcome, following = decide_and_claim_next(session, nxt.pk, ana, NOTHING_WRONG, now=clock())
        assert outcome.final and following is None  # nothing left
    with database.transaction() as session:
        kinds = session.scalars(
            select(Event.kind).where(Event.kind.in_([EventKind.JOB_CLAIMED, EventKind.DECISION_MADE]))
        ).all()
        assert sorted(kinds) == sorted([EventKind.JOB_CLAIMED] * 2 + [EventKind.DECISION_MADE] * 2)
        actions = session.scalars(select(AuditRecord.action).where(AuditRecord.principal == ana.name)).all()
        assert sorted(actions) == ["job.claim", "job.claim", "job.decide", "job.decide"]
        audit_log.verify(session)


def test_a_refused_submit_and_next_claims_nothing(database: Database, clock: FrozenClock) -> None:
    first, second = make_jobs(database, 2, queue=QUEUE, now=clock())
    (ana,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        held = claim_next_job_pk(session, QUEUE, ana, now=clock())
    assert held is not None
    with pytest.raises(InvalidInput), database.transaction() as session:
        decide_and_claim_next(session, held, ana, Choice("no.such.policy", "remove"), now=clock())
    with database.transaction() as session:
        statuses = dict(session.execute(select(Job.pk, Job.status).where(Job.pk.in_([first, second]))).all())
        assert sorted(statuses.values()) == ["claimed", "open"]
