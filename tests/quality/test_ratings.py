"""`load_ratings`: every rating of the store, from its source, as the report reads it, on both stores.

The store is filled through the real services (claims, decisions, undo, appeals, the decision
import); the other areas' rows a rating reads (a QA sample, a golden item, a calibration answer) are
written as their services write them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import insert, select, update

from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.quality import ExerciseStatus, RatingSource, SampleReason
from bastion.domain.review import JobKind
from bastion.domain.subjects import IngestKind
from bastion.ingest.batch import import_file
from bastion.quality.ratings import RATINGS_SCHEMA, load_ratings
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.claims import claim_next_job_pk
from bastion.review.decisions import Choice, decide
from bastion.review.undo import undo_decision
from bastion.store.database import Database
from bastion.store.schema import (
    CalibrationAnswer,
    CalibrationExercise,
    CalibrationItem,
    ContentItem,
    EnforcementAction,
    GoldenItem,
    Job,
    QaPlan,
    QaSample,
)
from tests.review.jobs_factory import make_jobs

QUEUE = "general"


def _reviewer(database: Database, now: datetime, name: str, vendor: str | None = None) -> Principal:
    with database.transaction() as session:
        roles = frozenset({Role.VENDOR_REVIEWER if vendor else Role.REVIEWER})
        return principal_of(add_user(session, name, roles=roles, password=None, now=now, vendor=vendor), via="session")


def _decide(database: Database, who: Principal, queue: str, choice: Choice, now: datetime) -> tuple[int, int]:
    """`who` claims the next job of `queue` and decides it: (job pk, decision pk)."""
    with database.transaction() as session:
        job_pk = claim_next_job_pk(session, queue, who, now=now)
        assert job_pk is not None
        return job_pk, decide(session, job_pk, who, choice, now=now).decision.pk


def _appeal(database: Database, decision_pk: int, judge: Principal, verdict: str, now: datetime) -> None:
    with database.transaction() as session:
        action = session.scalars(select(EnforcementAction).where(EnforcementAction.decision_pk == decision_pk)).one()
        file_appeal(session, AppealRequest(f"appeal-{decision_pk}", action.pk, None, now), now=now, principal="p")
    _decide(database, judge, "appeals", Choice("hate_speech", verdict, "looked again"), now)


def _subject(database: Database, job_pk: int) -> int:
    with database.transaction() as session:
        return session.get_one(Job, job_pk).subject_pk


def _new_job_like(database: Database, job_pk: int, **changes: Any) -> int:
    """A job on the same subject as `job_pk`, open in the same queue (as a QA plan or golden set opens one)."""
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        columns = {c.key: getattr(job, c.key) for c in Job.__table__.columns if c.key not in {"pk"}}
        reset = {"status": "open", "reviews_done": 0, "lease_owner": None, "claimed_at": None}
        row = columns | reset | {"lease_expires_at": None, "decided_at": None, "reviews_required": 1} | changes
        return int(session.scalar(insert(Job).returning(Job.pk), row) or 0)


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    assert table.schema == RATINGS_SCHEMA
    return sorted(tuple(row.values()) for row in table.to_pylist())


def test_every_source_of_ratings_is_read_with_its_reference_and_appeal(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    start = clock()
    jobs = make_jobs(database, 5, queue=QUEUE, now=start)
    items = [_subject(database, job) for job in jobs]
    ana = _reviewer(database, start, "ana", vendor="acme-review")
    bob = _reviewer(database, start, "bob")
    judge = _reviewer(database, start, "judge")

    # Review decisions: two enforced then appealed (overturned, upheld), one "none", one taken back.
    _, overturned = _decide(database, ana, QUEUE, Choice("hate_speech", "remove"), clock())
    _, upheld = _decide(database, ana, QUEUE, Choice("hate_speech", "remove"), clock())
    clock.advance(timedelta(minutes=5))
    t_none = clock()
    job_none, sampled = _decide(database, ana, QUEUE, Choice("none", "no_action"), clock())
    job_undone, undone = _decide(database, ana, QUEUE, Choice("spam", "remove"), clock())
    with database.transaction() as session:
        undo_decision(session, undone, ana, now=clock())
    with database.transaction() as session:  # decided again after the undo: the first is not a rating
        redo = decide(session, job_undone, ana, Choice("none", "no_action"), now=clock()).decision.pk
    _appeal(database, overturned, judge, "overturn", clock())
    _appeal(database, upheld, judge, "uphold", clock())

    clock.advance(timedelta(minutes=5))
    t_qa = clock()
    # A golden job on the fifth item (known answer: spam), decided "none" by ana: scored, never enforced.
    with database.transaction() as session:
        golden = session.scalar(
            insert(GoldenItem).returning(GoldenItem.pk),
            {
                "golden_set": "basics",
                "queue": QUEUE,
                "content_pk": items[4],
                "policy_id": "spam",
                "rationale": "a link farm",
                "created_at": t_qa,
                "created_by": "qa-lead",
            },
        )
        session.execute(update(Job).where(Job.pk == jobs[4]).values(golden_pk=golden))
    _, golden_decision = _decide(database, ana, QUEUE, Choice("none", "no_action"), t_qa)
    with database.transaction() as session:
        assert (
            session.scalars(select(EnforcementAction).where(EnforcementAction.decision_pk == golden_decision)).all()
            == []
        )

    # Then a QA re-review of the "none" decision, decided blind by bob: the reference of ana's decision.
    qa_job = _new_job_like(database, job_none, kind=JobKind.QA.value)
    with database.transaction() as session:
        plan = session.scalar(
            insert(QaPlan).returning(QaPlan.pk),
            {
                "queue": QUEUE,
                "version": 1,
                "qa_queue": QUEUE,
                "rate": 0.1,
                "strata": {},
                "targets": {},
                "active": True,
                "created_at": t_qa,
                "created_by": "qa-lead",
            },
        )
        sample = {"decision_pk": sampled, "plan_pk": plan, "job_pk": qa_job, "reason": SampleReason.RANDOM.value}
        session.execute(insert(QaSample), sample | {"sampled_at": t_qa})
    _, qa_decision = _decide(database, bob, QUEUE, Choice("spam", "remove"), t_qa)

    # A decision on an account: its item is minus the actor's pk.
    with database.transaction() as session:
        actor_pk = session.get_one(ContentItem, items[0]).actor_pk
    actor_job = _new_job_like(database, jobs[0], subject_type="actor", subject_pk=actor_pk)
    _, on_actor = _decide(database, bob, QUEUE, Choice("none", "no_action"), t_qa)

    # A calibration answer, and decisions made elsewhere (one with a queue, one without).
    with database.transaction() as session:
        exercise = session.scalar(
            insert(CalibrationExercise).returning(CalibrationExercise.pk),
            {
                "name": "hate basics",
                "group": "acme-review",
                "status": ExerciseStatus.OPEN.value,
                "created_at": t_qa,
                "created_by": "qa-lead",
            },
        )
        item = session.scalar(
            insert(CalibrationItem).returning(CalibrationItem.pk),
            {"exercise_pk": exercise, "content_pk": items[1], "position": 1},
        )
        session.execute(
            insert(CalibrationAnswer),
            {"item_pk": item, "user_pk": bob.user_pk, "label": "hate_speech", "rationale": "", "answered_at": t_qa},
        )
    external = items[2]
    with database.transaction() as session:
        external_id = session.get_one(ContentItem, external).external_id
    rows = [
        {
            "content_id": external_id,
            "reviewer_id": "vendor-x-17",
            "label": "spam",
            "decided_at": "2026-11-01T08:00:00Z",
        },
        {"content_id": external_id, "reviewer_id": "ana", "label": "none", "queue": QUEUE},
    ]
    path = tmp_path / "decisions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert import_file(database, path, IngestKind.DECISIONS, principal="qa-lead", clock=clock).created == 2

    review, qa, gold, imported, calibrated = (s.value for s in RatingSource)
    t0, t1 = start, t_none
    t_import = datetime.fromisoformat("2026-11-01T08:00:00+00:00")
    expected = [
        (items[0], "ana", "acme-review", QUEUE, "hate_speech", t0, review, None, overturned, True),
        (items[1], "ana", "acme-review", QUEUE, "hate_speech", t0, review, None, upheld, False),
        (items[2], "ana", "acme-review", QUEUE, "none", t1, review, "spam", sampled, None),
        (items[3], "ana", "acme-review", QUEUE, "none", t1, review, None, redo, None),
        (items[2], "bob", None, QUEUE, "spam", t_qa, qa, None, qa_decision, None),
        (items[4], "ana", "acme-review", QUEUE, "none", t_qa, gold, "spam", golden_decision, None),
        (-actor_pk, "bob", None, QUEUE, "none", t_qa, review, None, on_actor, None),
        (items[1], "bob", None, None, "hate_speech", t_qa, calibrated, None, None, None),
        (external, "vendor-x-17", None, None, "spam", t_import, imported, None, None, None),
        (external, "ana", "acme-review", QUEUE, "none", clock(), imported, None, None, None),
    ]
    assert _rows(load_ratings(database)) == sorted(expected)
    assert actor_job and undone not in {row[8] for row in expected}

    since = _rows(load_ratings(database, since=t_qa))
    assert since == sorted(row for row in expected if row[5] >= t_qa)
    in_queue = _rows(load_ratings(database, queue=QUEUE))
    assert in_queue == sorted(row for row in expected if row[3] == QUEUE)
    assert _rows(load_ratings(database, queue="no-such-queue")) == []


def test_an_empty_store_has_no_ratings(database: Database) -> None:
    table = load_ratings(database)
    assert table.schema == RATINGS_SCHEMA and table.num_rows == 0
