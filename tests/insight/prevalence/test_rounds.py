"""A real round through the labelling queue, on SQLite and PostgreSQL: start, claim, decide, estimate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.domain.review import JobKind
from bastion.errors import Conflict, InvalidInput, NotFound
from bastion.insight.prevalence.design import Allocation
from bastion.insight.prevalence.report import round_estimate
from bastion.insight.prevalence.rounds import list_rounds, round_status, start_round
from bastion.policy.service import current_policies
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, EnforcementAction, Job
from bastion.store.schema.insight import PrevalenceSample
from tests.insight.prevalence.platform import POLICY, labeller, make_platform

DAY = datetime(2026, 11, 1, tzinfo=UTC)


def _start(database: Database, now: datetime, size: int = 30, **kwargs: object) -> str:
    with database.transaction() as session:
        return start_round(
            session,
            period_start=DAY,
            period_end=DAY + timedelta(days=2),
            size=size,
            seed=11,
            principal="user:analyst",
            now=now,
            **kwargs,  # type: ignore[arg-type]
        ).name


def label_all(database: Database, reviewer: Principal, truth: dict[str, bool], now: datetime) -> int:
    decided = 0
    while True:
        with database.transaction() as session:
            job = claim_next_job(session, "prevalence", reviewer, now=now)
            if job is None:
                return decided
            assert job.kind == JobKind.PREVALENCE and job.policy_hint is None
            assert (job.priority_terms or {}).get("confidence_input") == 0.0  # the score is not shown
            item = session.get_one(ContentItem, job.subject_pk).external_id
            if truth[item]:
                action = current_policies(session)[POLICY].policy.allowed_actions[0].value
                choice = Choice(POLICY, action, "hateful")
            else:
                choice = Choice("none", "no_action")
            decide(session, job.pk, reviewer, choice, now=now)
            decided += 1


def test_a_round_is_labelled_in_its_queue_never_enforced_and_estimated(database: Database, clock: FrozenClock) -> None:
    truth = make_platform(database, DAY)
    now = clock()
    name = _start(database, now)
    with database.transaction() as session:
        started = round_status(session, name)
        assert (started.status, started.labelled, started.size) == ("labelling", 0, 30)
        assert {s["name"] for s in started.strata} == {"score 0-0.1", "score 0.6-1", "unscored"}
        samples = list(session.scalars(select(PrevalenceSample)))
        assert sum(s.draws for s in samples) == 30 and len(samples) == started.items
        jobs = session.scalar(select(func.count()).select_from(Job).where(Job.queue == "prevalence"))
        assert jobs == started.items
    with database.transaction() as session:
        audited = select(AuditRecord.target).where(AuditRecord.action == "prevalence.start")
        assert list(session.scalars(audited)) == [f"prevalence_round:{name}"]
    with database.transaction() as session, pytest.raises(Conflict, match="still labelling: 0 of"):
        round_estimate(session, name)
    assert label_all(database, labeller(database, now), truth, now) == started.items
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == 0
        assert round_status(session, name).status == "done"
        estimate = round_estimate(session, name)
    hate = next(p for p in estimate.policies if p.policy == POLICY)
    # Every fifth item violates, its views weigh as much as the others': the true prevalence is 0.2 of the
    # period's impressions (80 views of weights 1..4 evenly); the scores put all of them in one stratum.
    assert hate.estimate.violating > 0
    assert hate.estimate.low <= 0.2 <= hate.estimate.high
    assert all(
        p.estimate.violating == 0 and p.estimate.upper_limit
        for p in estimate.policies
        if not p.policy.startswith(POLICY)
    )
    with database.transaction() as session:
        assert [r.name for r in list_rounds(session)] == [name]


def test_a_round_for_one_policy_reads_its_models_and_estimates_it_and_below(
    database: Database, clock: FrozenClock
) -> None:
    truth = make_platform(database, DAY)
    spam = _start(database, clock(), size=10, policy="spam", allocation=Allocation.PROPORTIONAL)
    with database.transaction() as session:
        view = round_status(session, spam)
        # The only model scores hate speech: for spam every item is unscored, one stratum.
        assert (view.policy, view.allocation, [s["name"] for s in view.strata]) == (
            "spam",
            "proportional",
            ["unscored"],
        )
    label_all(database, labeller(database, clock()), truth, clock())
    with database.transaction() as session:
        policies = [p.policy for p in round_estimate(session, spam).policies]
    assert policies[0] == "spam" and all(p.startswith("spam.") for p in policies[1:]) and len(policies) > 1
    hate = _start(database, clock(), size=10, policy="hate_speech.slurs")
    with database.transaction() as session:
        assert {s["name"] for s in round_status(session, hate).strata} >= {"score 0.6-1", "unscored"}


def test_one_round_at_a_time_per_queue(database: Database, clock: FrozenClock) -> None:
    make_platform(database, DAY)
    first = _start(database, clock(), size=5)
    with pytest.raises(Conflict, match=f"round '{first}' is still labelling"):
        _start(database, clock(), size=5)


def test_bad_requests_are_refused_naming_the_field(database: Database, clock: FrozenClock) -> None:
    make_platform(database, DAY)
    with database.transaction() as session, pytest.raises(InvalidInput) as raised:
        start_round(
            session,
            period_start=DAY,
            period_end=DAY,
            size=0,
            policy="no_such_policy",
            queue="general",
            seed=1,
            principal="user:analyst",
            now=clock(),
        )
    assert [e.path for e in raised.value.errors] == ["period_end", "size", "policy", "queue"]
    assert "not a prevalence labelling queue" in str(raised.value)
    with database.transaction() as session, pytest.raises(InvalidInput, match="no views were seen"):
        start_round(
            session,
            period_start=DAY + timedelta(days=10),
            period_end=DAY + timedelta(days=11),
            size=5,
            seed=1,
            principal="user:analyst",
            now=clock(),
        )
    with database.transaction() as session, pytest.raises(NotFound, match="no prevalence round 'nope'"):
        round_status(session, "nope")
