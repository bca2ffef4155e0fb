"""The review loop over the API: report → job → claim → decision → action → appeal → overturn → restore."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import EnforcementAction, Job, WebhookDelivery
from tests.conftest import api_key, bearer, make_user


def _seed(client: TestClient, platform: dict[str, str], *, reason: str = "hate_speech", language: str = "en") -> None:
    actors = [
        {
            "id": "author",
            "created_at": "2025-01-01T00:00:00Z",
            "language": language,
            "attributes": {"followers": 5000, "ip": "10.1.2.3"},
        },
        {"id": "reporter", "created_at": "2025-01-01T00:00:00Z"},
    ]
    client.post("/api/v1/actors", json={"items": actors}, headers=platform).raise_for_status()
    post = {
        "id": "p1",
        "actor_id": "author",
        "type": "post",
        "text": "they are vermin",
        "language": language,
        "created_at": "2026-11-01T10:00:00Z",
        "views": 1200,
    }
    client.post("/api/v1/content", json=post, headers=platform).raise_for_status()
    report = {
        "id": "r1",
        "target": {"content_id": "p1"},
        "reporter_id": "reporter",
        "reason": reason,
        "created_at": "2026-11-01T11:00:00Z",
    }
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def _reviewer(
    database: Database, clock: FrozenClock, name: str, role: Role = Role.REVIEWER, **kw: Any
) -> dict[str, str]:
    make_user(database, clock, name, role, **kw)
    return bearer(api_key(database, clock, user=name))


def test_the_whole_loop(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed(client, platform)
    rita = _reviewer(database, clock, "rita", languages=("en",))
    queues = {q["name"]: q for q in client.get("/api/v1/queues", headers=rita).json()}
    assert queues["hate-harassment"]["open"] == 1

    job = client.post("/api/v1/queues/hate-harassment/claim", headers=rita).json()
    assert job["subject"]["text"] == "they are vermin"
    assert job["policy"]["id"] == "hate_speech" and "guidance" in job["policy"]
    assert job["reports"][0]["reporter_trust"] == 0.5
    assert set(job["priority"]["terms"]) == {"severity", "confidence", "reach", "reports", "age"}
    assert client.post("/api/v1/queues/hate-harassment/claim", headers=rita).status_code == 204

    missing = client.post(
        f"/api/v1/jobs/{job['id']}/decision", json={"policy": "hate_speech", "action": "remove"}, headers=rita
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["path"] == "rationale"
    wrong = client.post(
        f"/api/v1/jobs/{job['id']}/decision",
        json={"policy": "hate_speech", "action": "age_restrict", "rationale": "x"},
        headers=rita,
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["details"][0]["path"] == "action"
    decided = client.post(
        f"/api/v1/jobs/{job['id']}/decision",
        json={"policy": "hate_speech", "action": "remove", "rationale": "dehumanising comparison"},
        headers=rita,
    ).json()
    assert decided["final"] is True
    action_id = decided["actions"][0]["id"]

    appeal = {"id": "ap1", "action_id": action_id, "text": "it was satire", "created_at": "2026-11-02T10:00:00Z"}
    filed = client.post("/api/v1/appeals", json=appeal, headers=platform)
    assert filed.json()["status"] == "created"
    assert client.post("/api/v1/appeals", json=appeal, headers=platform).json()["status"] == "duplicate"
    # whoever decided may not judge the appeal
    assert client.post("/api/v1/queues/appeals/claim", headers=rita).status_code == 204
    quinn = _reviewer(database, clock, "quinn", role=Role.QA)
    appeal_job = client.post("/api/v1/queues/appeals/claim", headers=quinn).json()
    assert appeal_job["kind"] == "appeal"
    assert appeal_job["appeal"]["appeals"][0]["original_rationale"] == "dehumanising comparison"
    overturned = client.post(
        f"/api/v1/jobs/{appeal_job['id']}/decision",
        json={"policy": "hate_speech", "action": "overturn", "rationale": "satire"},
        headers=quinn,
    ).json()
    assert overturned["actions"][0]["action"] == "restore"

    with database.transaction() as session:
        events = [d.event for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.pk))]
        original = session.get_one(EnforcementAction, action_id)
        assert original.reversed_at is not None
    assert events == ["action.remove", "action.restore"]


def test_vendor_reviewers_see_only_their_vendors_queues(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed(client, platform)
    acme = _reviewer(database, clock, "val", Role.VENDOR_REVIEWER, vendor="acme-review")
    other = _reviewer(database, clock, "olu", Role.VENDOR_REVIEWER, vendor="globalmod")
    names = {q["name"] for q in client.get("/api/v1/queues", headers=acme).json()}
    assert "hate-harassment" in names and "child-safety" not in names and "hate-latam" not in names
    job = client.post("/api/v1/queues/hate-harassment/claim", headers=acme).json()
    assert "ip" not in job["author"]["attributes"]  # private fields stay in-house
    assert job["author"]["attributes"]["followers"] == 5000
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=other).status_code == 403
    assert client.post("/api/v1/queues/hate-harassment/claim", headers=other).status_code == 403


def test_double_review_and_tiebreak(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed(client, platform, reason="child_safety.grooming")
    a, b, c = (_reviewer(database, clock, n) for n in ("ana", "ben", "cai"))
    first = client.post("/api/v1/queues/child-safety/claim", headers=a).json()
    assert first["reviews"] == {"required": 2, "done": 0}
    one = client.post(
        f"/api/v1/jobs/{first['id']}/decision",
        json={"policy": "child_safety.grooming", "action": "remove", "rationale": "r"},
        headers=a,
    ).json()
    assert one["final"] is False and one["needs"] == "second review"
    assert client.post("/api/v1/queues/child-safety/claim", headers=a).status_code == 204
    second = client.post("/api/v1/queues/child-safety/claim", headers=b).json()
    two = client.post(
        f"/api/v1/jobs/{second['id']}/decision", json={"policy": "none", "rationale": "r"}, headers=b
    ).json()
    assert two["final"] is False and two["needs"] == "tiebreak"
    third = client.post("/api/v1/queues/child-safety/claim", headers=c).json()
    three = client.post(
        f"/api/v1/jobs/{third['id']}/decision",
        json={"policy": "child_safety.grooming", "action": "remove", "rationale": "r"},
        headers=c,
    ).json()
    assert three["final"] is True and three["actions"][0]["action"] == "remove"
    with database.transaction() as session:
        assert session.get_one(Job, first["id"]).status == "decided"


def test_a_bad_decision_body_names_each_field_in_plain_words(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    rita = _reviewer(database, clock, "rita")
    response = client.post("/api/v1/jobs/1/decision", json={"action": "remove", "colour": "red"}, headers=rita)
    assert response.status_code == 422
    details = {d["path"]: d["message"] for d in response.json()["error"]["details"]}
    assert details == {"policy": "required field is missing", "colour": "unknown field"}
