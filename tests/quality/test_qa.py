"""QA plans and sampling over the real API and store: versions, validation, the hooks, replay, preview."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.quality import qa
from bastion.quality.sampling import sample_reason
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, Decision, EnforcementAction, Job, JobExclusion, QaSample
from tests.conftest import api_key, bearer
from tests.quality.qa_seed import POLICY, decide_next, person, put_plan, seed_post


def _samples(database: Database) -> list[QaSample]:
    with database.transaction() as session:
        return list(session.scalars(select(QaSample).order_by(QaSample.decision_pk)))


def test_a_plan_is_versioned_audited_and_guarded(client: TestClient, database: Database, clock: FrozenClock) -> None:
    lead = person(database, clock, "lena", Role.QA)
    first = put_plan(client, lead, rate=0.1, strata={"policy_family": {"hate_speech": 0.5}})
    assert (first["version"], first["rate"], first["strata"]) == (1, 0.1, {"policy_family": {"hate_speech": 0.5}})
    assert put_plan(client, lead, rate=0.1, strata={"policy_family": {"hate_speech": 0.5}})["version"] == 1
    second = put_plan(client, lead, rate=0.2, targets={"high_severity": {"at_least": 3, "rate": 1.0}})
    assert second["version"] == 2 and second["targets"] == {"high_severity": {"rate": 1.0, "at_least": 3.0}}
    assert client.get("/api/v1/quality/plans/general", headers=lead).json()["version"] == 2
    assert [p["queue"] for p in client.get("/api/v1/quality/plans", headers=lead).json()] == ["general"]
    with database.transaction() as session:
        audited = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == qa.PLAN_AUDIT_ACTION)
            .order_by(AuditRecord.at, AuditRecord.seq)
        ).all()
        assert [(a.principal, a.details["version"]) for a in audited] == [("user:lena", 1), ("user:lena", 2)]

    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    reviewer = person(database, clock, "rita", Role.REVIEWER)
    assert client.get("/api/v1/quality/plans/general", headers=analyst).status_code == 200
    assert client.put("/api/v1/quality/plans/general", json={"rate": 0.5}, headers=analyst).status_code == 403
    assert client.get("/api/v1/quality/plans", headers=reviewer).status_code == 403
    assert client.get("/api/v1/quality/plans/scams-spam", headers=lead).status_code == 404


def test_a_bad_plan_names_each_field_and_why(client: TestClient, database: Database, clock: FrozenClock) -> None:
    lead = person(database, clock, "lena", Role.QA)
    body = {
        "qa_queue": "general",
        "rate": 1.5,
        "strata": {"language": {"en": 0.1}, "decision": {"no_such.policy": 0.2, "none": -1}},
        "targets": {"low_confidence": {"rate": 0.5}, "new_reviewer": {"fewer_than": 0, "rate": 1}, "spam": {}},
    }
    answer = client.put("/api/v1/quality/plans/general", json=body, headers=lead)
    assert answer.status_code == 422
    problems = {d["path"]: d["message"] for d in answer.json()["error"]["details"]}
    assert problems == {
        "qa_queue": "'general' is a queue of kind review, not a QA queue (kind: qa)",
        "rate": "a rate is a number from 0 to 1, got 1.5",
        "strata.language": "unknown stratum: use decision, policy_family, reviewer, vendor",
        "strata.decision.no_such.policy": "no policy 'no_such.policy': name a policy id or 'none'",
        "strata.decision.none": "a rate is a number from 0 to 1, got -1.0",
        "targets.low_confidence.below": "a confidence from 0 to 1 (above 0), got None",
        "targets.new_reviewer.fewer_than": "a whole number of decisions, 1 or more, got 0.0",
        "targets.spam": "unknown target: use overturned, high_severity, low_confidence, new_reviewer",
    }
    for queue, why in [
        ("appeals", "'appeals' is a queue of kind appeal: only review and escalation queues are sampled"),
        ("qa", "'qa' is a queue of kind qa: only review and escalation queues are sampled"),
        ("nowhere", "no queue named 'nowhere' in the review configuration"),
    ]:
        refused = client.put(f"/api/v1/quality/plans/{queue}", json={"rate": 0.1}, headers=lead)
        assert refused.json()["error"]["details"] == [{"path": "queue", "message": why}]
    assert client.get("/api/v1/quality/plans", headers=lead).json() == []


def test_a_sampled_decision_opens_a_blind_qa_job_that_its_reviewer_never_gets(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    put_plan(client, lead, rate=1.0)
    ada = person(database, clock, "ada", Role.ADMIN)  # holds quality.manage: could work the QA queue
    seed_post(client, platform, 1)
    original = decide_next(client, ada)
    [sample] = _samples(database)
    assert (sample.decision_pk, sample.reason) == (original["decision"]["decision"], "random")
    with database.transaction() as session:
        job = session.get_one(Job, sample.job_pk)
        first = session.get_one(Job, original["job"]["id"])
        assert (job.queue, job.kind, job.subject_type, job.subject_pk) == ("qa", "qa", "content", first.subject_pk)
        assert job.policy_hint is None and job.report_count == 1
        assert session.scalar(select(JobExclusion.user_pk).where(JobExclusion.job_pk == job.pk)) is not None

    assert client.post("/api/v1/queues/qa/claim", headers=ada).status_code == 204  # never their own
    queues = {q["name"]: q for q in client.get("/api/v1/queues", headers=lead).json()}
    assert (queues["qa"]["kind"], queues["qa"]["open"]) == ("qa", 1)
    rita = person(database, clock, "rita", Role.REVIEWER)
    assert client.post("/api/v1/queues/qa/claim", headers=rita).status_code == 403  # the QA team's queue
    verdict = decide_next(client, lead, "qa", policy="none", action="no_action")
    assert verdict["job"]["id"] == sample.job_pk and verdict["job"]["kind"] == "qa"
    with database.transaction() as session:
        actions = session.scalars(select(EnforcementAction.decision_pk)).all()
        assert verdict["decision"]["decision"] not in actions  # recorded, never enforced
        assert session.scalar(select(func.count()).select_from(QaSample)) == 1  # a QA verdict is never sampled


def test_a_zero_rate_samples_nothing_and_an_inactive_plan_nothing_at_all(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    rita = person(database, clock, "rita", Role.REVIEWER)
    put_plan(client, lead, rate=0.0)
    seed_post(client, platform, 1)
    decide_next(client, rita)
    put_plan(client, lead, rate=1.0, active=False)
    seed_post(client, platform, 2)
    decide_next(client, rita)
    assert _samples(database) == []


def test_replay_samples_what_a_missed_hook_left_out_exactly_once(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    """Decisions committed while no hook sampled them (here: before the plan existed, as after a crash
    between the commit and the hook) are sampled by the replay as the hook would have; again, nothing."""
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    rita = person(database, clock, "rita", Role.REVIEWER)
    for n in range(12):
        seed_post(client, platform, n)
        decide_next(client, rita)
    start = clock()
    put_plan(client, lead, rate=0.5)
    assert _samples(database) == []
    with database.transaction() as session:
        plan = qa.current_plan(session, "general")
        assert plan is not None
        rows = session.execute(qa._facts_query(Job.queue == "general")).all()
        expected = {row[0]: sample_reason(plan, qa._facts(row)) for row in rows}
    with database.transaction() as session:
        sampled = qa.catch_up(session, since=start - timedelta(days=1), now=clock())
    picked = {pk: reason for pk, reason in expected.items() if reason is not None}
    assert 0 < sampled == len(picked) < 12
    assert {s.decision_pk: s.reason for s in _samples(database)} == picked
    with database.transaction() as session:
        assert qa.catch_up(session, since=start - timedelta(days=1), now=clock()) == 0
    assert len(_samples(database)) == len(picked)


def test_an_overturned_decision_is_sampled_when_its_appeal_is_decided(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    rita = person(database, clock, "rita", Role.REVIEWER)
    put_plan(client, lead, rate=0.0, targets={"overturned": {"rate": 1.0}})
    seed_post(client, platform, 1)
    original = decide_next(client, rita)
    assert _samples(database) == []
    clock.advance(timedelta(minutes=5))  # past the undo window: the removal is sent, and can be appealed
    action_id = original["decision"]["actions"][0]["id"]
    appeal = {"id": "ap1", "action_id": action_id, "text": "I was quoting", "created_at": "2026-11-02T10:00:00Z"}
    client.post("/api/v1/appeals", json=appeal, headers=platform).raise_for_status()
    judge = person(database, clock, "jo", Role.REVIEWER)
    job = client.post("/api/v1/queues/appeals/claim", headers=judge).json()
    choice = {"policy": POLICY, "action": "overturn", "rationale": "quoted, not used"}
    client.post(f"/api/v1/jobs/{job['id']}/decision", json=choice, headers=judge).raise_for_status()
    [sample] = _samples(database)
    assert (sample.decision_pk, sample.reason) == (original["decision"]["decision"], "overturned")
    with database.transaction() as session:
        appeal_decision = session.scalar(select(Decision.pk).where(Decision.job_pk == job["id"]))
        assert appeal_decision != sample.decision_pk


def test_the_preview_counts_what_the_plan_would_pull_per_day(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    rita = person(database, clock, "rita", Role.REVIEWER)
    for day in range(3):
        for n in range(day + 1):
            seed_post(client, platform, day * 10 + n)
            decide_next(client, rita, policy=POLICY if n % 2 else "none", action="remove" if n % 2 else "no_action")
        clock.advance(timedelta(days=1))
    body = {"qa_queue": "qa", "rate": 0.0, "strata": {"decision": {"none": 1.0}}}
    answer = client.post("/api/v1/quality/plans/general/preview?days=4", json=body, headers=lead)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert [d["decisions"] for d in preview["days"]] == [1, 2, 3, 0]
    assert [d["sampled"] for d in preview["days"]] == [1, 1, 2, 0]
    assert preview["by_reason"]["stratum"] == 4 and preview["sampled"] == 4 and preview["per_day"] == 1.0
    assert client.get("/api/v1/quality/plans", headers=lead).json() == []  # a preview saves nothing
    bad = client.post("/api/v1/quality/plans/general/preview?days=0", json=body, headers=lead)
    assert bad.status_code == 422


def test_a_new_reviewer_is_sampled_until_their_bar_and_the_preview_agrees(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    rita = person(database, clock, "rita", Role.REVIEWER)
    body = {"rate": 0.0, "targets": {"new_reviewer": {"fewer_than": 2, "rate": 1.0}}}
    put_plan(client, lead, **body)
    for n in range(4):
        seed_post(client, platform, n)
        decide_next(client, rita)
    assert [s.reason for s in _samples(database)] == ["new_reviewer", "new_reviewer"]
    preview = client.post("/api/v1/quality/plans/general/preview?days=1", json={"qa_queue": "qa"} | body, headers=lead)
    assert (preview.json()["decisions"], preview.json()["by_reason"]["new_reviewer"]) == (4, 2)
