"""GET /api/v1/metrics: the metrics as JSON behind insight.read, errors in the one error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer
from tests.insight.metrics.handmade import plant


def test_the_enforcement_report_by_default_and_chosen_metrics_by_segment(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    plant(database)
    headers = bearer(api_key(database, clock, Role.ANALYST))
    answer = client.get("/api/v1/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["columns"][:2] == ["content_actioned", "proactive_rate"]
    assert body["rows"][0]["content_actioned"] == 3 and body["rows"][0]["restored_with_appeal"] == 1
    assert {m["name"] for m in body["metrics"]} >= {"prevalence", "appealed"}

    answer = client.get(
        "/api/v1/metrics",
        params={"names": "content_actioned,prevalence", "by": "policy", "grain": "day"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert {(r["period"], r["policy"], r["content_actioned"]) for r in rows} == {
        ("2026-10-05T00:00:00+00:00", "spam", 2),
        ("2026-10-06T00:00:00+00:00", "hate_speech", 1),
    }
    hate = next(r for r in rows if r["policy"] == "hate_speech")
    assert hate["prevalence"] is None  # c2 was restored: no view of violating content, null, not 0


def test_unknown_names_are_refused_naming_each(client: TestClient, database: Database, clock: FrozenClock) -> None:
    answer = client.get(
        "/api/v1/metrics",
        params={"names": "reach,backlog", "by": "planet", "grain": "day"},
        headers=bearer(api_key(database, clock, Role.INVESTIGATOR)),
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    said = {(d["path"], d["message"]) for d in error["details"]}
    assert ("metrics[0]", "no metric named 'reach'") in said
    assert any(path == "by[0]" and "planet" in message for path, message in said)
    assert ("grain", "backlog is a count at one moment: it has no time grain") in said


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.PLATFORM, Role.QA])
def test_only_insight_readers_see_metrics(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    assert client.get("/api/v1/metrics", headers=bearer(api_key(database, clock, role))).status_code == 403
    assert client.get("/api/v1/metrics").status_code == 401
