"""`POST /api/v1/content?wait=true`: detection runs before the answer, and sending the item again makes
nothing new."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import Job, RuleHit
from tests.conftest import START, api_key, bearer
from tests.detect.test_pipeline import _prepare

POST = {
    "id": "c-wait",
    "actor_id": "a1",
    "type": "post",
    "text": "free followers here: https://bit.ly/x",
    "created_at": START.isoformat(),
}


def test_a_live_rule_hit_and_its_job_come_back_and_a_resend_makes_nothing_new(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _prepare(database, clock)
    headers = bearer(api_key(database, clock, Role.PLATFORM))
    first = client.post("/api/v1/content?wait=true", json=POST, headers=headers)
    assert first.status_code == 200, first.text
    (verdict,) = first.json()["detection"]
    (hit,) = verdict["hits"]
    assert (hit["rule"], hit["version"], hit["mode"]) == ("spam-terms-with-link", 1, "live")
    assert hit["job_id"] is not None
    assert verdict["signals"]["keyword"] == {"spam_terms": ["free followers"]}
    again = client.post("/api/v1/content?wait=true", json=POST, headers=headers)
    assert again.json()["duplicates"] == 1
    assert again.json()["detection"] == first.json()["detection"]
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1
        assert session.scalar(select(func.count()).select_from(RuleHit)) == 1


def test_without_wait_the_answer_carries_no_verdict(client: TestClient, database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    response = client.post("/api/v1/content", json=POST, headers=bearer(api_key(database, clock, Role.PLATFORM)))
    assert response.status_code == 200
    assert "detection" not in response.json()
