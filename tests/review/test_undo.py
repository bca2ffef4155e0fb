"""Undo: a decision taken back within its window; its enforcement never sent. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.auth.principal import Principal
from bastion.auth.users import find_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.events import EventKind
from bastion.domain.happened import DecisionWithdrawn
from bastion.domain.subjects import IngestKind
from bastion.errors import Conflict, Forbidden
from bastion.ingest.service import ingest
from bastion.plugins import hookimpl, plugin_manager
from bastion.policy.service import current_policies
from bastion.review import claims
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.claims import exposure_today
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.decisions import Choice, decide
from bastion.review.jobs import JobStatus
from bastion.review.supervisor import overview
from bastion.review.undo import undo_decision, undo_offer
from bastion.review.webhooks import claim_due
from bastion.review.workload.listing import list_jobs
from bastion.review.workload.selection import JobSelection
from bastion.store.database import Database
from bastion.store.schema import (
    AuditRecord,
    Decision,
    EnforcementAction,
    Event,
    Job,
    JobExclusion,
    Strike,
    WebhookDelivery,
)
from tests.conftest import api_key, bearer, make_user

QUEUE = "hate-harassment"
WINDOW = timedelta(seconds=10)  # the default configuration's undo_seconds


def _reviewer(database: Database, clock: FrozenClock, name: str) -> Principal:
    make_user(database, clock, name, Role.REVIEWER)
    with database.transaction() as session:
        user = find_user(session, name)
        assert user is not None
        return principal_of(user, via="session")


def _seed(
    database: Database, now: datetime, posts: int = 1, author: str = "author", reason: str = "hate_speech"
) -> None:
    """`posts` items by one author, each reported (for hate speech): one job each in the queue that routes."""
    stamp = (now - timedelta(hours=1)).isoformat()
    with database.transaction() as session:
        ingest(session, IngestKind.ACTORS, [{"id": author, "created_at": stamp}], principal="t", now=now)
        items = [
            {"id": f"{author}-{i}", "actor_id": author, "type": "post", "text": "they are vermin", "created_at": stamp}
            for i in range(posts)
        ]
        ingest(session, IngestKind.CONTENT, items, principal="t", now=now)
        reports = [
            {
                "id": f"report-{author}-{i}",
                "target": {"content_id": f"{author}-{i}"},
                "reason": reason,
                "created_at": stamp,
            }
            for i in range(posts)
        ]
        ingest(
            session,
            IngestKind.REPORTS,
            reports,
            principal="t",
            now=now,
            policy_ids=frozenset(current_policies(session)),
        )


def _decide_next(database: Database, reviewer: Principal, now: datetime, action: str = "remove") -> Decision:
    with database.transaction() as session:
        job = claims.claim_next_job(session, QUEUE, reviewer, now=now)
        assert job is not None
        outcome = decide(session, job.pk, reviewer, Choice("hate_speech", action, "dehumanising"), now=now)
        return outcome.decision


def _messages(database: Database) -> list[WebhookDelivery]:
    with database.transaction() as session:
        rows = list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.pk)))
        session.expunge_all()
        return rows


def _due(database: Database, now: datetime) -> list[int]:
    with database.transaction() as session:
        return [c.pk for c in claim_due(session, now=now, size=10)]


def test_enforcement_is_not_sent_before_the_undo_window_closes(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    _decide_next(database, rita, clock())
    (message,) = _messages(database)
    assert message.not_before == clock() + WINDOW
    assert _due(database, clock() + WINDOW - timedelta(seconds=1)) == []
    assert _due(database, clock() + WINDOW) == [message.pk]


def test_undo_withdraws_the_decision_cancels_its_actions_and_gives_the_job_back(
    database: Database, clock: FrozenClock, request: pytest.FixtureRequest
) -> None:
    heard: list[DecisionWithdrawn] = []

    class Listener:
        @hookimpl
        def decision_withdrawn(self, fact: DecisionWithdrawn) -> None:
            heard.append(fact)

    plugin_manager().register(listener := Listener())
    request.addfinalizer(lambda: plugin_manager().unregister(listener))
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    clock.advance(timedelta(seconds=9))
    with database.transaction() as session:
        offer = undo_offer(session, decision.pk, rita, now=clock())
        assert offer is not None and offer.seconds_left == pytest.approx(1.0)
        done = undo_decision(session, decision.pk, rita, now=clock())

    assert done.job_status == JobStatus.CLAIMED
    assert len(done.cancelled_actions) == 1
    with database.transaction() as session:
        job = session.get_one(Job, decision.job_pk)
        assert (job.status, job.lease_owner, job.reviews_done, job.decided_at) == ("claimed", rita.user_pk, 0, None)
        assert job.lease_expires_at == clock() + timedelta(minutes=15)
        withdrawn = session.get_one(Decision, decision.pk)
        assert withdrawn.withdrawn_at == clock() and not withdrawn.final
        action = session.get_one(EnforcementAction, done.cancelled_actions[0])
        assert action.cancelled_at == clock()
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.pk))]
        assert EventKind.DECISION_WITHDRAWN in kinds and EventKind.ACTION_CANCELLED in kinds
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "decision.withdraw")).one()
        assert audit.target == f"decision:{decision.pk}" and audit.details["cancelled_actions"] == [action.pk]
        assert undo_offer(session, decision.pk, rita, now=clock()) is None
    assert [m.status for m in _messages(database)] == ["cancelled"]
    assert _due(database, clock() + timedelta(hours=1)) == []  # never sent, however long we wait
    assert heard == [DecisionWithdrawn(decision.pk, decision.job_pk, rita.name, done.cancelled_actions, clock())]

    # The job is the reviewer's again: a new decision is the job's verdict, and its action is sent.
    with database.transaction() as session:
        outcome = decide(session, decision.job_pk, rita, Choice("hate_speech", "warn", "on reflection"), now=clock())
        assert outcome.final and outcome.decision.round == 1
    later = _messages(database)[-1]
    assert later.payload["action"] == "warn"
    assert _due(database, clock() + WINDOW) == [later.pk]


def test_undo_after_the_window_is_refused_and_changes_nothing(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    clock.advance(WINDOW)
    with database.transaction() as session:
        assert undo_offer(session, decision.pk, rita, now=clock()) is None
        with pytest.raises(Conflict, match="too late to undo"):
            undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session:
        assert session.get_one(Decision, decision.pk).withdrawn_at is None
        assert session.get_one(Job, decision.job_pk).status == "decided"
    assert [m.status for m in _messages(database)] == ["pending"]


def test_only_the_reviewer_who_decided_can_undo_and_only_once(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita, sam = _reviewer(database, clock, "rita"), _reviewer(database, clock, "sam")
    decision = _decide_next(database, rita, clock())
    with database.transaction() as session, pytest.raises(Forbidden):
        undo_decision(session, decision.pk, sam, now=clock())
    with database.transaction() as session:
        assert undo_offer(session, decision.pk, sam, now=clock()) is None
        undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session, pytest.raises(Conflict, match="already taken back"):
        undo_decision(session, decision.pk, rita, now=clock())


def test_a_message_already_handed_to_the_worker_is_never_cancelled(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    with database.transaction() as session:  # an admin lengthens the window after the decision
        longer = current_review_config(session).config.model_copy(update={"undo_seconds": 60})
        load_review_config(session, longer, source="test", principal="t", now=clock())
    clock.advance(WINDOW)
    assert len(_due(database, clock())) == 1  # the worker takes it: it may reach the platform now
    clock.advance(timedelta(seconds=5))
    with database.transaction() as session, pytest.raises(Conflict, match="already sent"):
        undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session:
        assert session.get_one(Decision, decision.pk).withdrawn_at is None
        assert (
            session.scalar(
                select(func.count()).select_from(EnforcementAction).where(EnforcementAction.cancelled_at.is_not(None))
            )
            == 0
        )


def test_undo_voids_the_strike_and_cancels_the_suspension_it_triggered(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock(), posts=2)
    rita = _reviewer(database, clock, "rita")
    _decide_next(database, rita, clock(), action="strike")  # 2 points: under the threshold of 3
    clock.advance(timedelta(minutes=1))
    second = _decide_next(database, rita, clock(), action="strike")  # 4 points: a suspension
    with database.transaction() as session:
        suspensions = session.scalars(select(EnforcementAction).where(EnforcementAction.action == "suspend")).all()
        assert len(suspensions) == 1
        done = undo_decision(session, second.pk, rita, now=clock())
    assert len(done.cancelled_actions) == 2  # the strike and the suspension
    with database.transaction() as session:
        live = session.scalars(select(Strike.weight).where(Strike.voided_at.is_(None))).all()
        assert live == [2.0]
        cancelled = session.scalars(
            select(EnforcementAction.action)
            .where(EnforcementAction.cancelled_at.is_not(None))
            .order_by(EnforcementAction.pk)
        ).all()
        assert cancelled == ["strike", "suspend"]
    assert [m.status for m in _messages(database)] == ["pending", "cancelled", "cancelled"]


def test_a_withdrawn_decision_no_longer_counts_toward_exposure(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    with database.transaction() as session:
        config = current_review_config(session).config
        assert rita.user_pk is not None
        assert exposure_today(session, config, rita.user_pk, clock())["hate_speech"][0] == 1
        undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session:
        assert "hate_speech" not in exposure_today(session, config, rita.user_pk, clock())


def test_undo_gives_back_the_job_submit_and_next_handed_out(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock(), posts=2)
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    with database.transaction() as session:
        handed = claims.claim_next_job(session, QUEUE, rita, now=clock())
        assert handed is not None and handed.pk != decision.job_pk
        handed_pk = handed.pk
    with database.transaction() as session:
        done = undo_decision(session, decision.pk, rita, now=clock(), release_job=handed_pk)
    assert done.released_job_id == handed_pk
    with database.transaction() as session:
        assert session.get_one(Job, handed_pk).status == "open"


def test_an_appeal_decision_cannot_be_taken_back(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita, sam = _reviewer(database, clock, "rita"), _reviewer(database, clock, "sam")
    decision = _decide_next(database, rita, clock())
    clock.advance(WINDOW)
    with database.transaction() as session:
        action = session.scalars(select(EnforcementAction)).one()
        request = AppealRequest("appeal-1", action.pk, "not hate", clock())
        appeal, _ = file_appeal(session, request, now=clock(), principal="platform")
        job = claims.claim_next_job(session, "appeals", sam, now=clock())
        assert job is not None and job.pk == appeal.job_pk
        verdict = decide(session, job.pk, sam, Choice("hate_speech", "uphold", "it is hate"), now=clock()).decision
    with database.transaction() as session, pytest.raises(Conflict, match="appeal"):
        undo_decision(session, verdict.pk, sam, now=clock())
    assert decision.pk != verdict.pk


def test_the_api_twin_answers_with_a_typed_body_and_refuses_late(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _seed(database, clock(), posts=2)
    rita = _reviewer(database, clock, "rita")
    headers = bearer(api_key(database, clock, user="rita"))
    first = _decide_next(database, rita, clock())
    response = client.post(f"/api/v1/review/decisions/{first.pk}/undo", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"] == first.pk and body["job"] == first.job_pk and body["job_status"] == "claimed"
    assert len(body["cancelled_actions"]) == 1 and body["released_job"] is None
    admin = bearer(api_key(database, clock, Role.ADMIN))
    listed = client.get("/api/v1/decisions", headers=admin).json()
    assert first.pk not in [d["id"] for d in listed], "a withdrawn decision is not listed as a decision"
    everything = client.get("/api/v1/decisions?include_withdrawn=true", headers=admin).json()
    (withdrawn,) = [d for d in everything if d["id"] == first.pk]
    assert withdrawn["withdrawn_at"] is not None

    with database.transaction() as session:
        second = decide(session, first.job_pk, rita, Choice("hate_speech", "remove", "again"), now=clock()).decision
    clock.advance(WINDOW + timedelta(seconds=1))
    late = client.post(f"/api/v1/review/decisions/{second.pk}/undo", headers=headers, json={})
    assert late.status_code == 409
    assert "too late to undo" in late.json()["error"]["message"]
    bad = client.post(f"/api/v1/review/decisions/{second.pk}/undo", headers=headers, json={"release": 1})
    assert bad.status_code == 422
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/review/decisions/{decision_id}/undo"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("WithdrawnDecision")


def _first_of_two_reviews(database: Database, clock: FrozenClock, reviewer: Principal) -> Decision:
    _seed(database, clock(), reason="child_safety")
    with database.transaction() as session:
        job = claims.claim_next_job(session, "child-safety", reviewer, now=clock())
        assert job is not None and job.reviews_required == 2
        outcome = decide(session, job.pk, reviewer, Choice("child_safety", "remove", "exploitative"), now=clock())
        assert not outcome.final and outcome.needs == "second review" and outcome.actions == []
        return outcome.decision


def test_undo_of_a_first_review_gives_the_job_back_before_a_second_reviewer_takes_it(
    database: Database, clock: FrozenClock
) -> None:
    rita = _reviewer(database, clock, "rita")
    decision = _first_of_two_reviews(database, clock, rita)
    with database.transaction() as session:
        done = undo_decision(session, decision.pk, rita, now=clock())
        assert done.cancelled_actions == ()
    with database.transaction() as session:
        job = session.get_one(Job, decision.job_pk)
        assert (job.status, job.lease_owner, job.reviews_done, job.reviews_required) == ("claimed", rita.user_pk, 0, 2)
        excluded = session.scalars(select(JobExclusion.user_pk).where(JobExclusion.job_pk == job.pk)).all()
        assert rita.user_pk not in excluded  # she may decide it again
        again = decide(session, job.pk, rita, Choice("child_safety", "remove", "on reflection"), now=clock())
        assert again.decision.round == 1 and again.needs == "second review"


def test_undo_of_a_first_review_is_refused_once_the_second_reviewer_has_it(
    database: Database, clock: FrozenClock
) -> None:
    rita, sam = _reviewer(database, clock, "rita"), _reviewer(database, clock, "sam")
    decision = _first_of_two_reviews(database, clock, rita)
    with database.transaction() as session:
        assert claims.claim_next_job(session, "child-safety", sam, now=clock()) is not None
    with database.transaction() as session, pytest.raises(Conflict, match="another reviewer"):
        undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session:
        assert session.get_one(Job, decision.job_pk).lease_owner == sam.user_pk
        assert session.get_one(Decision, decision.pk).withdrawn_at is None


def test_a_withdrawn_decision_is_not_counted_for_its_reviewer(database: Database, clock: FrozenClock) -> None:
    _seed(database, clock())
    rita = _reviewer(database, clock, "rita")
    decision = _decide_next(database, rita, clock())
    with database.transaction() as session:
        config = current_review_config(session).config
        before = overview(session, config, now=clock(), window=timedelta(days=1)).reviewers
        assert [(r.reviewer, r.decisions) for r in before] == [("rita", 1)]
        undo_decision(session, decision.pk, rita, now=clock())
    with database.transaction() as session:
        after = overview(session, config, now=clock(), window=timedelta(days=1)).reviewers
        behind = JobSelection(reviewer="rita", decision_from=clock() - timedelta(days=1))
        listed = list_jobs(session, config, behind, now=clock())
    assert after == [] and listed.total == 0  # the number and the list behind it agree
