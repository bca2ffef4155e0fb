"""Reading a subject: content with its reports and history; every view lands in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from tests.api.test_ingest_api import actor, content
from tests.conftest import api_key, bearer


def _seed(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/api/v1/actors", json={"items": [actor(0), actor(1)]}, headers=headers).raise_for_status()
    client.post("/api/v1/content", json=content(1, text="<b>hi</b>"), headers=headers).raise_for_status()
    report = {
        "id": "r1",
        "target": {"content_id": "c1"},
        "reporter_id": "a1",
        "reason": "spam",
        "created_at": "2026-10-03T00:00:00Z",
    }
    client.post("/api/v1/reports", json=report, headers=headers).raise_for_status()


def test_content_comes_with_reports_and_history(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed(client, platform)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    body = client.get("/api/v1/content/c1", headers=analyst).json()
    assert body["text"] == "<b>hi</b>"
    assert body["actor_id"] == "a0"
    assert [r["id"] for r in body["reports"]] == ["r1"]
    assert [e["kind"] for e in body["history"]] == ["content.created", "report.filed"]
    assert body["created_at"] == "2026-10-02T06:30:00+00:00"  # +02:00 stored as UTC, read back aware, both backends

    actor_body = client.get("/api/v1/actors/a0", headers=analyst).json()
    assert actor_body["content_count"] == 1
    assert [e["kind"] for e in actor_body["history"]] == ["actor.created"]

    with database.transaction() as session:
        actions = [(r.action, r.target) for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert ("subject.view", "content:c1") in actions
    assert ("subject.view", "actor:a0") in actions


def test_unknown_subject_is_404_and_wrong_role_403(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    response = client.get("/api/v1/content/nope", headers=analyst)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    reviewer = bearer(api_key(database, clock, role=Role.VENDOR_REVIEWER))
    assert client.get("/api/v1/content/nope", headers=reviewer).status_code == 403
