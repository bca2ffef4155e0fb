"""`/api/v1/prevalence`: analysts start rounds; readers of insight follow them and read the estimate."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer
from tests.insight.prevalence.platform import POLICY, labeller, make_platform
from tests.insight.prevalence.test_rounds import DAY, label_all

BODY = {"period_start": "2026-11-01", "period_end": "2026-11-02", "size": 25, "seed": 9}


def test_start_follow_and_estimate(client: TestClient, database: Database, clock: FrozenClock) -> None:
    truth = make_platform(database, DAY)
    analyst = bearer(api_key(database, clock, Role.ANALYST))
    investigator = bearer(api_key(database, clock, Role.INVESTIGATOR))
    assert client.get("/api/v1/prevalence/rounds", headers=investigator).json() == []
    started = client.post("/api/v1/prevalence/rounds", json=BODY, headers=analyst)
    assert started.status_code == 200, started.text
    body = started.json()
    name = body["name"]
    assert (name, body["status"], body["size"], body["labelled"]) == ("2026-11-01-to-2026-11-02", "labelling", 25, 0)
    assert sum(s["sample"] for s in body["strata"]) == 25
    again = client.post("/api/v1/prevalence/rounds", json=BODY, headers=analyst)
    assert again.status_code == 409 and "still labelling" in again.json()["error"]["message"]
    early = client.get(f"/api/v1/prevalence/rounds/{name}/estimate", headers=investigator)
    assert early.status_code == 409
    label_all(database, labeller(database, clock()), truth, clock())
    assert client.get(f"/api/v1/prevalence/rounds/{name}", headers=investigator).json()["status"] == "done"
    estimate = client.get(f"/api/v1/prevalence/rounds/{name}/estimate", headers=investigator)
    assert estimate.status_code == 200
    hate = next(p for p in estimate.json()["policies"] if p["policy"] == POLICY)
    assert hate["draws"] == 25 and hate["low"] <= hate["prevalence"] <= hate["high"]
    assert client.get("/api/v1/prevalence/rounds/nope", headers=investigator).status_code == 404


def test_roles_are_checked(client: TestClient, database: Database, clock: FrozenClock) -> None:
    reviewer = bearer(api_key(database, clock, Role.REVIEWER))
    investigator = bearer(api_key(database, clock, Role.INVESTIGATOR))
    assert client.get("/api/v1/prevalence/rounds", headers=reviewer).status_code == 403
    assert client.post("/api/v1/prevalence/rounds", json=BODY, headers=investigator).status_code == 403
    assert client.post("/api/v1/prevalence/rounds", json=BODY).status_code == 401


def test_bad_requests_name_the_field(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = bearer(api_key(database, clock, Role.ANALYST))
    bad = client.post("/api/v1/prevalence/rounds", json=BODY | {"size": 0, "policy": "nope"}, headers=analyst)
    assert bad.status_code == 422
    assert [d["path"] for d in bad.json()["error"]["details"]] == ["size", "policy"]
    not_a_day = client.post("/api/v1/prevalence/rounds", json=BODY | {"period_start": "soon"}, headers=analyst)
    assert not_a_day.status_code == 422 and not_a_day.json()["error"]["details"][0]["path"] == "period_start"
