"""The ingest API: batches, idempotence, field paths on bad input, access, and atomic batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import Actor, AuditRecord, ContentItem, Event, Report
from tests.conftest import api_key, bearer, make_user


def actor(i: int | str, **extra: Any) -> dict[str, Any]:
    return {"id": f"a{i}", "created_at": "2026-10-01T12:00:00Z", "country": "br", "language": "pt", **extra}


def content(i: int | str, actor_id: str = "a0", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"c{i}",
        "actor_id": actor_id,
        "type": "post",
        "text": f"post number {i} about the weather today",
        "created_at": "2026-10-02T08:30:00+02:00",
        **extra,
    }


@pytest.fixture
def platform(database: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer(api_key(database, clock, role=Role.PLATFORM))


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_thousand_items_in_one_request(client: TestClient, platform: dict[str, str], database: Database) -> None:
    client.post("/api/v1/actors", json=actor(0), headers=platform).raise_for_status()
    response = client.post("/api/v1/content", json={"items": [content(i) for i in range(1000)]}, headers=platform)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (1000, 0, 0)
    assert [item["status"] for item in body["items"]] == ["created"] * 1000
    assert count(database, ContentItem) == 1000
    assert count(database, Event) == 1001  # one actor.created + 1,000 content.created


def test_more_than_a_thousand_items_is_refused_whole(
    client: TestClient, platform: dict[str, str], database: Database
) -> None:
    response = client.post("/api/v1/actors", json={"items": [actor(i) for i in range(1001)]}, headers=platform)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"path": "items", "message": "at most 1000 items per request, got 1001"}
    ]
    assert count(database, Actor) == 0


def test_sending_an_id_again_is_a_duplicate_and_changes_nothing(
    client: TestClient, platform: dict[str, str], database: Database
) -> None:
    first = client.post("/api/v1/actors", json={"items": [actor(1), actor(2)]}, headers=platform)
    assert first.json()["created"] == 2
    changed = actor(1, country="DE")
    again = client.post("/api/v1/actors", json={"items": [changed, actor(3), actor(3)]}, headers=platform)
    assert again.status_code == 200
    assert [i["status"] for i in again.json()["items"]] == ["duplicate", "created", "duplicate"]
    with database.transaction() as session:
        assert session.scalar(select(Actor.country).where(Actor.external_id == "a1")) == "BR"
    assert count(database, Actor) == 3
    assert count(database, Event) == 3


def test_a_single_object_is_accepted_and_all_duplicates_is_not_an_error(
    client: TestClient, platform: dict[str, str]
) -> None:
    assert client.post("/api/v1/actors", json=actor(9), headers=platform).json()["created"] == 1
    again = client.post("/api/v1/actors", json=actor(9), headers=platform)
    assert again.status_code == 200
    assert again.json()["items"] == [{"index": 0, "id": "a9", "status": "duplicate"}]


BAD_ITEMS = [
    ({"id": "c1", "actor_id": "a0", "type": "tweet", "created_at": "2026-10-01T00:00:00Z"}, "items[0].type"),
    ({"id": "c1", "actor_id": "a0", "type": "post"}, "items[0].created_at"),
    ({"id": "c1", "actor_id": "a0", "type": "post", "created_at": "yesterday"}, "items[0].created_at"),
    ({"id": "c1", "actor_id": "nobody", "type": "post", "created_at": "2026-10-01T00:00:00Z"}, "items[0].actor_id"),
    (
        {"id": "c1", "actor_id": "a0", "type": "image", "created_at": "2026-10-01T00:00:00Z", "media": {"pdq": "xyz"}},
        "items[0].media",
    ),
    (
        {"id": "c1", "actor_id": "a0", "type": "post", "created_at": "2026-10-01T00:00:00Z", "views": -3},
        "items[0].views",
    ),
    (
        {"id": "c1", "actor_id": "a0", "type": "post", "created_at": "2026-10-01T00:00:00Z", "colour": 1},
        "items[0].colour",
    ),
    ({"id": "", "actor_id": "a0", "type": "post", "created_at": "2026-10-01T00:00:00Z"}, "items[0].id"),
    ("not an object", "items[0]"),
]


@pytest.mark.parametrize(("item", "path"), BAD_ITEMS)
def test_bad_content_gets_422_naming_the_field(
    client: TestClient, platform: dict[str, str], database: Database, item: Any, path: str
) -> None:
    client.post("/api/v1/actors", json=actor(0), headers=platform).raise_for_status()
    response = client.post("/api/v1/content", json={"items": [item]}, headers=platform)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "invalid_input"
    assert path in [d["path"] for d in body["error"]["details"]]
    assert body["items"][0]["status"] == "error"
    assert count(database, ContentItem) == 0


def test_a_mixed_batch_keeps_the_good_items_and_names_the_bad(
    client: TestClient, platform: dict[str, str], database: Database
) -> None:
    client.post("/api/v1/actors", json=actor(0), headers=platform).raise_for_status()
    items = [content(1), content(2, type="gif"), content(3)]
    response = client.post("/api/v1/content", json={"items": items}, headers=platform)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["errors"]) == (2, 1)
    assert body["items"][1]["errors"][0]["path"] == "items[1].type"
    assert count(database, ContentItem) == 2


def test_reports_resolve_their_target_and_policy(
    client: TestClient, platform: dict[str, str], database: Database
) -> None:
    client.post("/api/v1/actors", json={"items": [actor(0), actor(1)]}, headers=platform).raise_for_status()
    client.post("/api/v1/content", json=content(1), headers=platform).raise_for_status()
    reports = [
        {
            "id": "r1",
            "target": {"content_id": "c1"},
            "reporter_id": "a1",
            "reason": "spam",
            "created_at": "2026-10-03T00:00:00Z",
        },
        {
            "id": "r2",
            "target": {"actor_id": "a0"},
            "reason": "they are mean to me",
            "created_at": "2026-10-03T00:00:00Z",
        },
        {"id": "r3", "target": {"content_id": "c404"}, "reason": "spam", "created_at": "2026-10-03T00:00:00Z"},
        {
            "id": "r4",
            "target": {"content_id": "c1", "actor_id": "a0"},
            "reason": "spam",
            "created_at": "2026-10-03T00:00:00Z",
        },
    ]
    body = client.post("/api/v1/reports", json={"items": reports}, headers=platform).json()
    assert [i["status"] for i in body["items"]] == ["created", "created", "error", "error"]
    assert body["items"][2]["errors"][0]["path"] == "items[2].target.content_id"
    assert body["items"][3]["errors"][0]["path"] == "items[3].target"
    with database.transaction() as session:
        stored = {r.external_id: r for r in session.scalars(select(Report))}
    assert stored["r1"].policy_id == "spam"
    assert stored["r2"].policy_id is None and stored["r2"].actor_pk is not None


def test_language_is_detected_when_absent(client: TestClient, platform: dict[str, str], database: Database) -> None:
    client.post("/api/v1/actors", json=actor(0), headers=platform).raise_for_status()
    text = "Hoje o dia está lindo e vamos todos à praia depois do almoço"
    client.post("/api/v1/content", json=content(1, text=text), headers=platform).raise_for_status()
    client.post("/api/v1/content", json=content(2, language="es"), headers=platform).raise_for_status()
    with database.transaction() as session:
        rows = {c.external_id: (c.language, c.language_detected) for c in session.scalars(select(ContentItem))}
    assert rows == {"c1": ("pt", True), "c2": ("es", False)}


def test_not_json_and_empty_batches_are_422(client: TestClient, platform: dict[str, str]) -> None:
    response = client.post("/api/v1/actors", content=b"{nope", headers={**platform, "content-type": "application/json"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]["details"][0]["message"]
    assert client.post("/api/v1/actors", json={"items": []}, headers=platform).status_code == 422
    assert client.post("/api/v1/actors", json={"items": {}}, headers=platform).status_code == 422


def test_no_credentials_is_401_and_the_wrong_role_is_403(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    assert client.post("/api/v1/actors", json=actor(0)).status_code == 401
    assert client.post("/api/v1/actors", json=actor(0), headers=bearer("bst_wrong")).status_code == 401
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    response = client.post("/api/v1/actors", json=actor(0), headers=reviewer)
    assert response.status_code == 403
    assert "ingest.write" in response.json()["error"]["message"]
    assert count(database, Actor) == 0


def test_a_failed_transaction_leaves_nothing_half_written(
    client: TestClient, platform: dict[str, str], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The content rows are inserted, then writing their events fails: nothing of the batch may stay."""
    client.post("/api/v1/actors", json=actor(0), headers=platform).raise_for_status()
    before = (count(database, ContentItem), count(database, Event), count(database, AuditRecord))

    def broken_append(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("bastion.ingest.service.append_event_rows", broken_append)  # content writes its events as rows
    failing = TestClient(client.app, raise_server_exceptions=False, base_url="http://127.0.0.1")
    response = failing.post("/api/v1/content", json={"items": [content(i) for i in range(50)]}, headers=platform)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "disk full" not in response.text
    assert (count(database, ContentItem), count(database, Event), count(database, AuditRecord)) == before


def test_writes_are_audited_with_the_key_that_made_them(
    client: TestClient, platform: dict[str, str], database: Database
) -> None:
    client.post("/api/v1/actors", json={"items": [actor(0), actor(1)]}, headers=platform).raise_for_status()
    with database.transaction() as session:
        last = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
    assert last is not None
    assert last.action == "ingest.actors"
    assert last.principal.startswith("apikey:")
    assert last.details == {"created": 2, "duplicates": 0, "errors": 0}


def test_a_body_over_the_limit_is_413_and_nothing_is_read_into_the_store(
    client: TestClient, platform: dict[str, str], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bastion.api.routes.ingest.MAX_BODY_BYTES", 2_000)
    items = {"items": [actor(i) for i in range(40)]}
    response = client.post("/api/v1/actors", json=items, headers=platform)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        yield json.dumps(items).encode()

    streamed = client.post("/api/v1/actors", content=chunks(), headers={**platform, "content-type": "application/json"})
    assert streamed.status_code == 413
    assert count(database, Actor) == 0


def test_long_names_and_paths_fit_the_log(client: TestClient, database: Database, clock: FrozenClock) -> None:
    """A 64-character user name and a 600-character path are recorded and the chain still verifies."""
    name = "u" * 64
    make_user(database, clock, name, Role.ANALYST)
    key = bearer(api_key(database, clock, user=name))
    assert client.get("/api/v1/content/" + "x" * 600, headers=key).status_code == 404
    with database.transaction() as session:
        audit_log.verify(session)
