"""`GET /api/v1/trends/alerts`: the alerts with their evidence, for insight readers only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.insight.trends.alerts import run_trends
from bastion.store.database import Database
from tests.conftest import api_key, bearer
from tests.insight.trends.planted import TERM, plant


def test_alerts_are_listed_newest_first_with_evidence(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    assert client.get("/api/v1/trends/alerts", headers=analyst).json() == {"alerts": []}
    planted = plant(database, clock())
    run_trends(database, now=clock(), since=planted.start)
    body = client.get("/api/v1/trends/alerts", headers=analyst).json()
    alerts = body["alerts"]
    assert alerts and [a["at"] for a in alerts] == sorted((a["at"] for a in alerts), reverse=True)
    burst = [a for a in alerts if a["segment_key"] == "country=BR|language=pt|policy=spam"]
    assert burst and burst[0]["metric"] == "reports" and burst[0]["evidence"]["series"]
    terms = client.get("/api/v1/trends/alerts", params={"kind": "emerging_term"}, headers=analyst).json()["alerts"]
    assert [a["segment"]["term"] for a in terms] == [TERM]
    assert terms[0]["evidence"]["recent_documents"] >= 5
    assert len(client.get("/api/v1/trends/alerts", params={"limit": 1}, headers=analyst).json()["alerts"]) == 1


def test_only_insight_readers_see_alerts(client: TestClient, database: Database, clock: FrozenClock) -> None:
    for role, status in ((Role.INVESTIGATOR, 200), (Role.ADMIN, 200), (Role.REVIEWER, 403), (Role.QA, 403)):
        headers = bearer(api_key(database, clock, role=role))
        assert client.get("/api/v1/trends/alerts", headers=headers).status_code == status, role
    assert client.get("/api/v1/trends/alerts").status_code == 401
    bad = client.get(
        "/api/v1/trends/alerts", params={"kind": "rumour"}, headers=bearer(api_key(database, clock, role=Role.ANALYST))
    )
    assert bad.status_code == 422 or bad.status_code == 400
