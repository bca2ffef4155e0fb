"""Labels over REST: add (and extend), list with filters and pages, remove; who may; how it refuses."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer

LABELS = "/api/v1/detect/labels"


def test_add_extend_list_and_remove(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    spam = {"entity_type": "ip", "value": "203.0.113.9", "label": "spam-wave"}
    added = client.post(LABELS, json=spam | {"expires_in": "1h"}, headers=analyst)
    assert added.status_code == 200, added.text
    body = added.json()
    assert body | {"id": 0, "created_by": ""} == spam | {
        "id": 0,
        "status": "active",
        "created_at": "2026-11-02T09:00:00+00:00",
        "created_by": "",
        "expires_at": "2026-11-02T10:00:00+00:00",
        "removed_at": None,
    }
    assert body["created_by"].startswith("apikey:")

    clock.advance(timedelta(minutes=30))
    again = client.post(LABELS, json=spam | {"expires_in": "7d"}, headers=analyst).json()
    assert (again["id"], again["expires_at"]) == (body["id"], "2026-11-09T09:30:00+00:00")
    client.post(LABELS, json={"entity_type": "actor", "value": "a_1", "label": "watch"}, headers=analyst)

    listed = client.get(LABELS, headers=analyst).json()
    assert [(lab["entity_type"], lab["label"], lab["expires_at"]) for lab in listed["labels"]] == [
        ("actor", "watch", None),
        ("ip", "spam-wave", "2026-11-09T09:30:00+00:00"),
    ]
    assert listed["older"] is None
    only_ips = client.get(LABELS, params={"entity_type": "ip", "value": "203.0.113.9"}, headers=analyst).json()
    assert [lab["id"] for lab in only_ips["labels"]] == [body["id"]]
    first = client.get(LABELS, params={"limit": 1}, headers=analyst).json()
    assert len(first["labels"]) == 1 and first["older"] is not None
    rest = client.get(LABELS, params={"limit": 1, "before": first["older"]}, headers=analyst).json()
    assert [lab["label"] for lab in first["labels"] + rest["labels"]] == ["watch", "spam-wave"]

    removed = client.post(f"{LABELS}/remove", json=spam, headers=analyst)
    assert removed.json() == spam | {"removed_at": "2026-11-02T09:30:00+00:00"}
    assert [lab["label"] for lab in client.get(LABELS, headers=analyst).json()["labels"]] == ["watch"]
    everything = client.get(LABELS, params={"include_expired": "true"}, headers=analyst).json()
    assert [lab["status"] for lab in everything["labels"]] == ["active", "removed"]

    gone = client.post(f"{LABELS}/remove", json=spam, headers=analyst)
    assert gone.status_code == 404
    assert gone.json()["error"]["message"] == "ip 203.0.113.9 has no active label spam-wave"

    with database.transaction() as session:
        actions = audit_log.search(session, audit_log.AuditFilters(target="ip:203.0.113.9")).rows
    assert [row.action for row in reversed(actions)] == ["label.add", "label.add", "label.remove"]


def test_only_detection_roles_may(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    label = {"entity_type": "actor", "value": "a_1", "label": "watch"}
    assert client.get(LABELS).status_code == 401
    assert client.get(LABELS, headers=reviewer).status_code == 403
    refused = client.post(LABELS, json=label, headers=platform)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].endswith("(detection.write needed)")
    assert client.post(f"{LABELS}/remove", json=label, headers=platform).status_code == 403


def test_bad_labels_are_refused_field_by_field_and_nothing_is_written(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    refused = client.post(
        LABELS, json={"entity_type": "account", "value": "a_1", "label": "Watch", "extra": 1}, headers=admin
    )
    assert refused.status_code == 422
    problems = {(d["path"], d["message"]) for d in refused.json()["error"]["details"]}
    assert problems == {
        ("entity_type", "must be 'actor', 'content', 'ip', 'device' or 'url'"),
        ("extra", "unknown field"),
    }
    cases = [
        ({"value": "", "label": "watch"}, ("value", "must not be empty")),
        (
            {"value": "a_1", "label": "Watch"},
            (
                "label",
                "must be 1 to 128 characters, lower-case letters, digits and _ . : -, starting with a letter or digit",
            ),
        ),
        (
            {"value": "a_1", "label": "watch", "expires_in": "1.5h"},
            ("expires_in", "must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w"),
        ),
        ({"value": "a_1", "label": "watch", "expires_in": "0d"}, ("expires_in", "must be longer than 0")),
    ]
    for fields, problem in cases:
        answer = client.post(LABELS, json={"entity_type": "actor"} | fields, headers=admin)
        assert answer.status_code == 422, fields
        assert [(d["path"], d["message"]) for d in answer.json()["error"]["details"]] == [problem]
    assert client.get(LABELS, params={"include_expired": "true"}, headers=admin).json()["labels"] == []
    bad_filter = client.get(LABELS, params={"entity_type": "account", "limit": 0}, headers=admin)
    assert {d["path"] for d in bad_filter.json()["error"]["details"]} == {"query.entity_type", "query.limit"}


def test_the_content_of_a_label_comes_back_as_sent(client: TestClient, database: Database, clock: FrozenClock) -> None:
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    hostile = "https://x.example/<script>alert(1)</script>?q=\u202e"
    answer = client.post(LABELS, json={"entity_type": "url", "value": hostile, "label": "phishing"}, headers=admin)
    assert answer.json()["value"] == hostile
    assert answer.headers["content-type"] == "application/json"
