"""Job actions through the API: attach, skip, hold, release, escalate, reassign, heartbeat; strikes; reversal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import EnforcementAction, Event, Job, Strike, WebhookDelivery
from tests.conftest import api_key, bearer, make_user


class Platform:
    def __init__(self, client: TestClient, database: Database, clock: FrozenClock) -> None:
        self.client, self.headers = client, bearer(api_key(database, clock, role=Role.PLATFORM))
        self.client.post(
            "/api/v1/actors",
            json={
                "items": [
                    {"id": "author", "created_at": "2025-01-01T00:00:00Z", "language": "en"},
                    *({"id": f"rep{i}", "created_at": "2025-01-01T00:00:00Z"} for i in range(5)),
                ]
            },
            headers=self.headers,
        ).raise_for_status()
        self.n = 0

    def post(self, text: str = "buy cheap followers now") -> str:
        self.n += 1
        item = {
            "id": f"p{self.n}",
            "actor_id": "author",
            "type": "post",
            "text": text,
            "language": "en",
            "created_at": "2026-11-01T10:00:00Z",
        }
        self.client.post("/api/v1/content", json=item, headers=self.headers).raise_for_status()
        return str(item["id"])

    def report(self, content_id: str, reason: str = "spam", reporter: int = 0) -> None:
        self.n += 1
        body = {
            "id": f"r{self.n}",
            "target": {"content_id": content_id},
            "reporter_id": f"rep{reporter}",
            "reason": reason,
            "created_at": "2026-11-01T11:00:00Z",
        }
        self.client.post("/api/v1/reports", json=body, headers=self.headers).raise_for_status()


def reviewer(database: Database, clock: FrozenClock, name: str, role: Role = Role.REVIEWER) -> dict[str, str]:
    make_user(database, clock, name, role)
    return bearer(api_key(database, clock, user=name))


def claim(client: TestClient, queue: str, who: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/api/v1/queues/{queue}/claim", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_new_report_attaches_to_the_open_job_and_raises_its_priority(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = Platform(client, database, clock)
    post = platform.post()
    platform.report(post)
    with database.transaction() as session:
        job = session.scalars(select(Job)).one()
        before = (job.priority, job.claim_rank)
    platform.report(post, reporter=1)
    platform.report(post, reporter=2)
    with database.transaction() as session:
        jobs = list(session.scalars(select(Job)))
        assert len(jobs) == 1
        assert jobs[0].report_count == 3
        assert jobs[0].priority > before[0] and jobs[0].claim_rank > before[1]


def test_skip_hold_release_escalate_and_reassign(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = Platform(client, database, clock)
    for _ in range(2):
        platform.report(platform.post())
    ann, bob = reviewer(database, clock, "ann"), reviewer(database, clock, "bob")
    lead = reviewer(database, clock, "lead", Role.QA)
    cy = reviewer(database, clock, "cy")

    first = claim(client, "scams-spam", ann)
    assert client.post(f"/api/v1/jobs/{first['id']}/skip", json={"reason": ""}, headers=ann).status_code == 422
    assert (
        client.post(f"/api/v1/jobs/{first['id']}/skip", json={"reason": "I know this account"}, headers=ann).json()[
            "status"
        ]
        == "open"
    )
    second = claim(client, "scams-spam", ann)
    assert second["id"] != first["id"]  # a skipped job is never offered again
    assert (
        client.post(f"/api/v1/jobs/{second['id']}/hold", json={"note": "asking legal"}, headers=ann).json()["status"]
        == "held"
    )
    assert client.post("/api/v1/queues/scams-spam/claim", headers=ann).status_code == 204
    assert client.post(f"/api/v1/jobs/{second['id']}/resume", headers=bob).status_code == 409
    assert client.post(f"/api/v1/jobs/{second['id']}/resume", headers=ann).json()["status"] == "claimed"
    assert (
        client.post(f"/api/v1/jobs/{second['id']}/hold", json={"note": "still waiting"}, headers=ann).status_code == 200
    )
    assert client.post(f"/api/v1/jobs/{second['id']}/release", headers=ann).json()["status"] == "open"

    held_by_bob = claim(client, "scams-spam", bob)
    assert (
        client.post(f"/api/v1/jobs/{held_by_bob['id']}/decision", json={"policy": "none"}, headers=ann).status_code
        == 409
    )
    moved = client.post(
        f"/api/v1/jobs/{held_by_bob['id']}/escalate", json={"note": "looks like a fraud ring"}, headers=bob
    )
    assert moved.json()["queue"] == "escalations"
    assert (
        client.post(f"/api/v1/jobs/{held_by_bob['id']}/reassign", json={"reviewer": "nobody"}, headers=lead).status_code
        == 422
    )
    assert (
        client.post(f"/api/v1/jobs/{held_by_bob['id']}/reassign", json={"reviewer": "ann"}, headers=lead).status_code
        == 422  # ann skipped this job: she may not take it
    )
    assert (
        client.post(f"/api/v1/jobs/{held_by_bob['id']}/reassign", json={"reviewer": "cy"}, headers=lead).status_code
        == 200
    )
    assert client.post("/api/v1/queues/escalations/claim", headers=bob).status_code == 204  # assigned to cy
    assert claim(client, "escalations", cy)["note"] == "looks like a fraud ring"
    with database.transaction() as session:
        kinds = {k for (k,) in session.execute(select(Event.kind).where(Event.subject_type == "job"))}
    assert {"job.skipped", "job.held", "job.released", "job.escalated", "job.reassigned", "job.claimed"} <= kinds


def test_heartbeat_keeps_a_lease_and_a_lapsed_lease_cannot_decide(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = Platform(client, database, clock)
    platform.report(platform.post())
    ann, bob = reviewer(database, clock, "ann"), reviewer(database, clock, "bob")
    job = claim(client, "scams-spam", ann)
    clock.advance(timedelta(minutes=10))
    assert client.post(f"/api/v1/jobs/{job['id']}/heartbeat", headers=ann).status_code == 200
    clock.advance(timedelta(minutes=10))
    assert client.post("/api/v1/queues/scams-spam/claim", headers=bob).status_code == 204  # still leased
    clock.advance(timedelta(minutes=6))
    assert claim(client, "scams-spam", bob)["id"] == job["id"]  # the lease ran out: the job came back
    late = client.post(f"/api/v1/jobs/{job['id']}/decision", json={"policy": "none"}, headers=ann)
    assert late.status_code == 409


def test_strikes_add_up_to_a_suspension_and_a_reversal_voids_them(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = Platform(client, database, clock)
    ann = reviewer(database, clock, "ann")
    actions = []
    for _ in range(2):
        platform.report(platform.post("I will hurt them"), reason="hate_speech")
        job = claim(client, "hate-harassment", ann)
        outcome = client.post(
            f"/api/v1/jobs/{job['id']}/decision",
            json={"policy": "hate_speech", "action": "strike", "rationale": "attack"},
            headers=ann,
        ).json()
        actions.append([a["action"] for a in outcome["actions"]])
    assert actions == [["strike"], ["strike", "suspend"]]  # 2 + 2 points crosses the threshold of 3
    with database.transaction() as session:
        strike_action = session.scalars(select(EnforcementAction).where(EnforcementAction.action == "strike")).first()
        assert strike_action is not None
        strike_id = strike_action.pk
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    assert (
        client.post(f"/api/v1/actions/{strike_id}/restore", json={"note": "wrong call"}, headers=ann).status_code == 403
    )
    restored = client.post(f"/api/v1/actions/{strike_id}/restore", json={"note": "wrong call"}, headers=admin)
    assert restored.json()["action"] == "restore"
    assert client.post(f"/api/v1/actions/{strike_id}/restore", json={"note": "again"}, headers=admin).status_code == 409
    with database.transaction() as session:
        live = session.scalar(select(func.count()).select_from(Strike).where(Strike.voided_at.is_(None)))
        restore = session.scalars(select(EnforcementAction).where(EnforcementAction.action == "restore")).one()
        payloads = [d.payload for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.pk))]
    assert live == 1
    assert restore.reason == "restored_without_appeal"
    assert payloads[-1]["reason"] == "restored_without_appeal" and payloads[-1]["reverses_action_id"] == strike_id
