"""GET /api/v1/quality/report: the report of the store's decisions, behind quality.read, on both stores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer
from tests.quality.store_ratings import double_reviewed

SAID = [("spam", "spam")] * 4 + [("none", "none")] * 4 + [("spam", "none")] * 2


def test_the_report_is_the_same_json_as_the_command(client: TestClient, database: Database, clock: FrozenClock) -> None:
    double_reviewed(database, clock(), SAID)
    answer = client.get("/api/v1/quality/report", headers=bearer(api_key(database, clock, Role.ANALYST)))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["agreement"]["items"] == 10 and body["agreement"]["percent_agreement"] == pytest.approx(0.8)
    assert {r["reviewer_id"]: (r["scored"], r["correct"]) for r in body["reviewers"]} == {
        "ana": (10, 8),
        "ben": (10, 8),
    }
    assert body["thresholds"] == {"accuracy": 0.8, "confidence": 0.95, "min_decisions": 30}
    queued = client.get(
        "/api/v1/quality/report", params={"queue": "hate"}, headers=bearer(api_key(database, clock, Role.QA))
    )
    assert queued.status_code == 200 and queued.json()["reviewers"] == []


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.PLATFORM, Role.INVESTIGATOR])
def test_only_quality_readers_see_it(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    answer = client.get("/api/v1/quality/report", headers=bearer(api_key(database, clock, role)))
    assert answer.status_code == 403
    assert client.get("/api/v1/quality/report").status_code == 401


def test_a_bad_since_is_named(client: TestClient, database: Database, clock: FrozenClock) -> None:
    answer = client.get(
        "/api/v1/quality/report", params={"since": "soon"}, headers=bearer(api_key(database, clock, Role.ANALYST))
    )
    assert answer.status_code == 422 and "since" in answer.text
