"""One job constructor: intake, appeals and escalations agree on harm type, severity, reviews required and
language; every job has a harm type, so every decision counts towards exposure; job states are checked by
the store itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.policy import UNCLASSIFIED
from bastion.policy.service import current_policies
from bastion.review.claims import claim_next_job, escalate, exposure_today
from bastion.review.config_store import current_review_config
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import Appeal, Job
from tests.conftest import api_key, bearer, make_user
from tests.review.jobs_factory import make_jobs, make_reviewers
from tests.review.test_review_api import _seed

THREATS = "violence_and_incitement.credible_threats"


def test_an_appeal_job_is_made_like_any_job_on_the_appealed_policy(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed(client, platform, reason=THREATS, language="pt")
    make_user(database, clock, "rui", Role.REVIEWER, languages=("pt",))
    rui = bearer(api_key(database, clock, user="rui"))
    job = client.post("/api/v1/queues/violence-extremism/claim", headers=rui).json()
    decided = client.post(
        f"/api/v1/jobs/{job['id']}/decision",
        json={"policy": THREATS, "action": "remove", "rationale": "a dated threat"},
        headers=rui,
    ).json()
    if not decided["final"]:  # severity 4 in this queue asks for a second review
        make_user(database, clock, "ana", Role.REVIEWER, languages=("pt",))
        ana = bearer(api_key(database, clock, user="ana"))
        second = client.post("/api/v1/queues/violence-extremism/claim", headers=ana).json()
        decided = client.post(
            f"/api/v1/jobs/{second['id']}/decision",
            json={"policy": THREATS, "action": "remove", "rationale": "agreed"},
            headers=ana,
        ).json()
    appeal = {"id": "ap1", "action_id": decided["actions"][0]["id"], "created_at": "2026-11-02T10:00:00Z"}
    client.post("/api/v1/appeals", json=appeal, headers=platform).raise_for_status()

    with database.transaction() as session:
        original = session.get_one(Job, job["id"])
        appeal_job = session.scalars(select(Job).join(Appeal, Appeal.job_pk == Job.pk)).one()
        severity = current_policies(session)[THREATS].policy.severity
        appeals_queue = current_review_config(session).config.queue("appeals")
    assert appeal_job.kind == "appeal" and appeal_job.queue == "appeals"
    assert appeal_job.harm_type == original.harm_type == "violence_and_incitement"
    assert appeal_job.severity == original.severity == severity
    assert appeal_job.language == original.language == "pt"  # so Portuguese appeals reach Portuguese reviewers
    assert appeal_job.reviews_required == appeals_queue.reviews_for(severity)
    assert appeal_job.policy_hint == THREATS


def test_an_escalation_keeps_the_job_and_takes_the_escalation_queues_terms(
    database: Database, clock: FrozenClock
) -> None:
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="spam")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        claimed = claim_next_job(session, "general", reviewer, now=clock())
        assert claimed is not None and claimed.pk == job_pk
    with database.transaction() as session:
        escalated = escalate(session, job_pk, reviewer, now=clock(), note="coordinated, see the other posts")
        target = current_review_config(session).config.queue("escalations")
        assert (escalated.pk, escalated.queue, escalated.kind) == (job_pk, "escalations", "escalation")
        assert escalated.harm_type == "spam" and escalated.status == "open"
        assert escalated.sla_due_at == clock() + timedelta(hours=target.sla_hours)
        assert escalated.reviews_required == max(1, target.reviews_for(escalated.severity))


def test_work_that_names_no_policy_is_unclassified_and_counts_towards_exposure(
    database: Database, clock: FrozenClock
) -> None:
    make_jobs(database, 6, now=clock())  # reports whose reason is no policy
    (reviewer,) = make_reviewers(database, 1, clock())
    for _ in range(6):
        with database.transaction() as session:
            job = claim_next_job(session, "general", reviewer, now=clock())
            assert job is not None and job.harm_type == UNCLASSIFIED
            job_pk = job.pk
        with database.transaction() as session:
            decide(session, job_pk, reviewer, Choice("none", "no_action"), now=clock())
    with database.transaction() as session:
        seen = exposure_today(session, current_review_config(session).config, reviewer.user_pk or 0, clock())
    assert seen[UNCLASSIFIED][0] == 6  # every decision counted, not only those with a reported policy


def test_a_decision_counts_under_the_harm_type_it_found(database: Database, clock: FrozenClock) -> None:
    make_jobs(database, 1, now=clock())
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        job = claim_next_job(session, "general", reviewer, now=clock())
        assert job is not None
        job_pk = job.pk
    with database.transaction() as session:
        decision = decide(session, job_pk, reviewer, Choice("spam", "remove"), now=clock()).decision
        assert decision.harm_type == "spam"


@pytest.mark.parametrize(("column", "value"), [("kind", "apeal"), ("status", "done")])
def test_the_store_refuses_a_job_state_outside_its_enum(
    database: Database, clock: FrozenClock, column: str, value: str
) -> None:
    (job_pk,) = make_jobs(database, 1, now=clock())
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(update(Job).where(Job.pk == job_pk).values({column: value}))
    with database.transaction() as session:
        assert session.get_one(Job, job_pk).status == "open"
