"""Reading a subject: content with its reports and history; every view lands in the audit log."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from tests.api.test_ingest_api import actor, content
from tests.conftest import LiveServer, api_key, bearer, make_context


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


# Ids as platforms make them: path separators, query and fragment marks, percent signs, spaces.
AWKWARD_IDS = ("a/1", "a?2", "a#3", "a%4", "a%2F5", "a b/../6", "a&7=8")


def test_subjects_whose_ids_hold_url_characters_open_over_http(database: Database, clock: FrozenClock) -> None:
    """Regression: an id with `/`, `?`, `#` or `%` could not be opened (404 or the wrong subject)."""
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    with LiveServer(make_context(database, clock)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        actors = [actor(0) | {"id": i} for i in AWKWARD_IDS]
        contents = [content(0, actor_id=i) | {"id": f"c-{i}"} for i in AWKWARD_IDS]
        assert http.post("/api/v1/actors", json={"items": actors}, headers=platform).json()["created"] == len(actors)
        assert http.post("/api/v1/content", json={"items": contents}, headers=platform).json()["created"] == len(
            contents
        )
        for awkward in AWKWARD_IDS:
            got = http.get(f"/api/v1/actors/{quote(awkward, safe='')}", headers=platform)
            assert got.status_code == 200, (awkward, got.text)
            assert got.json()["id"] == awkward
            assert [c["id"] for c in got.json()["recent_content"]] == [f"c-{awkward}"]
            got = http.get(f"/api/v1/content/{quote('c-' + awkward, safe='')}", headers=platform)
            assert got.status_code == 200, (awkward, got.text)
            assert got.json()["id"] == f"c-{awkward}" and got.json()["actor_id"] == awkward
    with database.transaction() as session:
        viewed = set(session.scalars(select(AuditRecord.target).where(AuditRecord.action == "subject.view")))
    assert viewed == {f"actor:{i}" for i in AWKWARD_IDS} | {f"content:c-{i}" for i in AWKWARD_IDS}
