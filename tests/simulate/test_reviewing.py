"""Simulated reviewers work the queues through the review services, with their planted accuracy."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.policy.loader import default_policies
from bastion.policy.service import PolicyRecord
from bastion.review.config import default_review_config
from bastion.review.config_store import load_review_config
from bastion.simulate import LabelledRecord, RecordKind, SimulatedReviewer, SimulationSpec, World
from bastion.simulate.deciding import planted_accuracy, review_choice, shift_bounds
from bastion.simulate.reviewing import CONFIG_VENDORS, config_vendor, work_queues, write_and_review
from bastion.simulate.workforce import LOW_ACCURACY, SITES, Shift, low_accuracy
from bastion.simulate.writer import write_platform
from bastion.store.database import Database
from bastion.store.schema import (
    Appeal,
    AuditRecord,
    ContentItem,
    Decision,
    EnforcementAction,
    Event,
    Job,
    User,
)

# Four weekdays, Monday to Thursday: every reviewer works every day of it.
SPEC = SimulationSpec(seed=7, days=4, start=datetime(2026, 11, 2, tzinfo=UTC))
END = SPEC.start + timedelta(days=SPEC.days)


@dataclass(frozen=True)
class Planted:
    world: World
    records: list[LabelledRecord]
    labels: dict[str, str | None]
    reviewers: dict[str, SimulatedReviewer]

    def until(self, moment: datetime) -> list[LabelledRecord]:
        """The records before `moment`: a slice of the platform, still in time order."""
        cut = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return [r for r in self.records if r.kind is RecordKind.ACTORS or _time(r) < cut]


def _time(record: LabelledRecord) -> str:
    return str(record.payload.get("created_at") or record.payload["viewed_at"])


@pytest.fixture(scope="module")
def planted() -> Planted:
    world = World(SPEC)
    records = list(world.labelled_records())
    labels = {r.payload["id"]: r.truth.policy for r in records if r.truth is not None}
    return Planted(world, records, labels, {r.id: r for r in world.workforce})


@dataclass(frozen=True)
class Made:
    reviewer: str
    content: str | None
    kind: str
    policy: str | None
    action: str
    hint: str | None
    decided_at: datetime


def _decisions(database: Database) -> list[Made]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                User.name,
                ContentItem.external_id,
                Job.kind,
                Decision.policy_id,
                Decision.action,
                Job.policy_hint,
                Decision.decided_at,
            )
            .join(Job, Job.pk == Decision.job_pk)
            .join(User, User.pk == Decision.reviewer_pk)
            .outerjoin(ContentItem, (ContentItem.pk == Job.subject_pk) & (Job.subject_type == "content"))
            .order_by(Decision.decided_at, Decision.pk)
        )
        return [Made(*row) for row in rows]


# --- the decision model, without a database ------------------------------------------------------------


def test_a_reviewer_is_right_as_often_as_planted(planted: Planted) -> None:
    workforce = planted.world.workforce
    weak = {found["id"] for found in low_accuracy(workforce)}
    sample = [r for r in workforce if r.id in weak] + [r for r in workforce if r.id not in weak][:2]
    with_policies = _policies()
    for reviewer in sample:
        rng = random.Random(reviewer.id)
        for truth, hint in (("hate_speech", "hate_speech"), (None, "spam"), ("scams_and_fraud", None)):
            draws = [review_choice(rng, reviewer, truth, hint, with_policies, rationale=True) for _ in range(3_000)]
            right = sum(correct for _, correct in draws) / len(draws)
            assert right == pytest.approx(planted_accuracy(reviewer, truth, hint), abs=0.03)
            for choice, correct in draws:
                chosen = None if choice.policy == "none" else choice.policy
                assert (chosen == truth) == correct  # a mistake never names the true policy
                assert choice.rationale


def test_mistakes_are_plausible(planted: Planted) -> None:
    reviewer = planted.world.workforce[0]
    rng, with_policies = random.Random(1), _policies()
    wrong_on_benign = Counter(
        choice.policy
        for choice, correct in (
            review_choice(rng, reviewer, None, "spam", with_policies, rationale=False) for _ in range(2_000)
        )
        if not correct
    )
    assert set(wrong_on_benign) == {"spam"}  # a false positive takes the report at its word
    wrong_on_hate = Counter(
        choice.policy
        for choice, correct in (
            review_choice(rng, reviewer, "hate_speech", None, with_policies, rationale=False) for _ in range(2_000)
        )
        if not correct
    )
    assert set(wrong_on_hate) == {"none", "harassment_and_bullying"}  # a miss or a look-alike


def _policies() -> dict[str, PolicyRecord]:
    """The shipped taxonomy, as the store holds it after `bastion init`."""
    return {policy.id: PolicyRecord(policy, 1, False, "test", SPEC.start, "test") for policy in default_policies()}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-02T08:00", ("2026-11-02T09:00", "2026-11-02T17:00")),  # Monday, before the shift
        ("2026-11-02T12:00", ("2026-11-02T09:00", "2026-11-02T17:00")),  # during it
        ("2026-11-06T17:00", ("2026-11-09T09:00", "2026-11-09T17:00")),  # Friday evening: Monday next
        ("2026-11-07T12:00", ("2026-11-09T09:00", "2026-11-09T17:00")),  # Saturday
    ],
)
def test_shifts_are_on_weekdays(moment: str, expected: tuple[str, str]) -> None:
    start, end = shift_bounds(Shift(9, 8), datetime.fromisoformat(f"{moment}+00:00"))
    assert (start.isoformat()[:16], end.isoformat()[:16]) == expected


def test_a_night_shift_runs_past_midnight() -> None:
    start, end = shift_bounds(Shift(22, 8), datetime(2026, 11, 3, 2, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 11, 2, 22, tzinfo=UTC), datetime(2026, 11, 3, 6, tzinfo=UTC))


def test_every_simulated_vendor_works_queues_of_the_configuration() -> None:
    configured = {vendor for queue in default_review_config().queues for vendor in queue.vendors}
    simulated = {site.vendor for site in SITES if site.vendor}
    assert simulated == set(CONFIG_VENDORS)
    assert {config_vendor(vendor) for vendor in simulated} <= configured


# --- in the store -----------------------------------------------------------------------------------------


def _written(database: Database, planted: Planted, days: float) -> FrozenClock:
    """The first `days` of the platform, written at once; the clock stands at the end of the slice."""
    clock = FrozenClock(SPEC.start + timedelta(days=days))
    write_platform(database, ((r.kind, r.payload) for r in planted.until(clock())), clock=clock)
    return clock


def test_reviewers_measure_close_to_their_planted_accuracy(database: Database, planted: Planted) -> None:
    # The two planted weak reviewers work for vendors; their vendors' team alone works three days of
    # reports, so each of them makes enough decisions to be measured, and the rest of the team enough
    # to compare them with.
    weak = {found["id"] for found in low_accuracy(planted.world.workforce)}
    vendors = {planted.reviewers[name].vendor for name in weak}
    team = [reviewer for reviewer in planted.world.workforce if reviewer.vendor in vendors]
    clock = _written(database, planted, days=3)
    work_queues(database, team, planted.labels, clock=clock, seed=SPEC.seed, hours=72)

    tally: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # decisions, right, expected right
    low, high = [0, 0], [0, 0]
    for made in _decisions(database):
        if made.kind == "appeal" or made.content is None:
            continue
        truth = planted.labels[made.content]
        expected = planted_accuracy(planted.reviewers[made.reviewer], truth, made.hint)
        right = made.policy == truth
        tally[made.reviewer][0] += 1
        tally[made.reviewer][1] += right
        tally[made.reviewer][2] += expected
        bucket = low if expected < LOW_ACCURACY[1] + 0.05 else high
        bucket[0] += 1
        bucket[1] += right
    measured = {name: n for name, (n, _, _) in tally.items() if n >= 15}
    assert weak <= set(measured)
    for name in measured:
        n, right_count, expected_count = tally[name]
        mean = expected_count / n
        assert abs(right_count / n - mean) <= 3 * math.sqrt(mean * (1 - mean) / n) + 0.02, name
    # Decisions a planted weak reviewer made on their weak policies, against everyone's other decisions.
    assert low[0] >= 25 and high[0] >= 20
    low_rate, high_rate = low[1] / low[0], high[1] / high[0]
    assert low_rate < 0.8 < high_rate
    assert high_rate - low_rate > 0.15


def test_reviews_and_appeals_go_through_the_services(database: Database, planted: Planted) -> None:
    records = planted.until(SPEC.start + timedelta(hours=36))
    _, summary = write_and_review(database, planted.world, records=records)
    made = _decisions(database)
    assert len(made) == summary.decisions > 100
    assert [m.decided_at for m in made] == sorted(m.decided_at for m in made)
    with database.transaction() as session:
        events = Counter(dict(session.execute(select(Event.kind, func.count()).group_by(Event.kind)).all()))
        audited = Counter(
            dict(session.execute(select(AuditRecord.action, func.count()).group_by(AuditRecord.action)).all())
        )
        audit_log.verify(session)
        jobs = session.execute(select(Job.created_at, Job.claimed_at)).all()
        appeals = session.execute(
            select(Appeal.status, Appeal.job_pk, EnforcementAction.decision_pk).join(
                EnforcementAction, EnforcementAction.pk == Appeal.action_pk
            )
        ).all()
        restores = session.scalar(
            select(func.count()).where(
                EnforcementAction.action == "restore", EnforcementAction.reason == "appeal_overturned"
            )
        )
        deciders = {
            job: set(session.scalars(select(Decision.reviewer_pk).where(Decision.job_pk == job)))
            for job in session.scalars(select(Decision.job_pk).distinct())
        }
        judged = {
            appeal_job: deciders[session.get_one(Decision, decision).job_pk]
            for _, appeal_job, decision in appeals
            if decision is not None and appeal_job is not None
        }
        actions = session.execute(
            select(EnforcementAction.policy_id, ContentItem.external_id, Appeal.status)
            .join(ContentItem, ContentItem.pk == EnforcementAction.subject_pk)
            .outerjoin(Appeal, Appeal.action_pk == EnforcementAction.pk)
            .where(EnforcementAction.subject_type == "content", EnforcementAction.reason == "decision")
        ).all()
    assert events["decision.made"] == audited["job.decide"] == len(made)
    assert events["job.claimed"] == audited["job.claim"] >= len(made)
    assert events["appeal.filed"] == audited["appeal.file"] == summary.appeals_filed == len(appeals) >= 5
    assert all(claimed is None or claimed >= created for created, claimed in jobs)
    # Appeals were decided by someone who had not decided the action appealed, and overturns restored.
    assert summary.appeals_overturned >= 1
    assert restores == summary.appeals_overturned == sum(status == "overturned" for status, *_ in appeals)
    for appeal_job, original_deciders in judged.items():
        assert not deciders.get(appeal_job, set()) & original_deciders
    # Wrong actions are appealed more often, and overturned far more often, than right ones.
    outcomes: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for policy, content, status in actions:
        truth = planted.labels[content]
        justified = truth is not None and policy is not None and truth.split(".")[0] == policy.split(".")[0]
        outcomes[justified][status or "not appealed"] += 1
    right, wrong = outcomes[True], outcomes[False]
    assert sum(right.values()) >= 15 and sum(wrong.values()) >= 5
    assert wrong["not appealed"] / sum(wrong.values()) < right["not appealed"] / sum(right.values())
    assert right["overturned"] <= right["upheld"] and wrong["overturned"] > wrong["upheld"]


def test_the_same_seed_makes_the_same_decisions(
    database: Database, sqlite_database: Database, planted: Planted
) -> None:
    records = planted.until(SPEC.start + timedelta(hours=18))
    runs = []
    for store in (database, sqlite_database):
        write_and_review(store, planted.world, records=records, review_until=SPEC.start + timedelta(hours=24))
        runs.append([(m.reviewer, m.content, m.policy, m.action, m.decided_at) for m in _decisions(store)])
    assert runs[0] == runs[1]
    assert len(runs[0]) > 15


def test_reviewers_stop_at_their_daily_exposure_cap(database: Database, planted: Planted) -> None:
    capped = default_review_config().model_copy(update={"daily_exposure_caps": {"default": 2}})
    with database.transaction() as session:
        load_review_config(session, capped, source="test", principal="test", now=SPEC.start)
    clock = _written(database, planted, days=0.5)
    summary = work_queues(database, planted.world, planted.labels, clock=clock, seed=SPEC.seed, hours=30)
    assert summary.decisions >= 10
    assert clock() == SPEC.start + timedelta(hours=42)
    per_day = Counter((m.reviewer, m.hint and m.hint.split(".")[0], m.decided_at.date()) for m in _decisions(database))
    assert max(per_day.values()) == 2


def test_work_stops_after_max_decisions_with_a_share_of_the_reviewers(database: Database, planted: Planted) -> None:
    clock = _written(database, planted, days=0.5)
    summary = work_queues(
        database, planted.world, planted.labels, clock=clock, seed=SPEC.seed, max_decisions=12, share=0.5
    )
    assert summary.reviewers == 12
    assert summary.decisions == 12
    with database.transaction() as session:
        simulated = set(session.scalars(select(User.name).where(User.name.like("rev-%"))))
    assert len(simulated) == 12
    assert {m.reviewer for m in _decisions(database)} <= simulated
