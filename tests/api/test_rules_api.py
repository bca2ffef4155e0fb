"""Detection rules over REST: list, check (text or JSON), load, refuse whole; permissions; real HTTP once."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, RuleVersion
from tests.conftest import LiveServer, api_key, bearer

RULES = """\
rules:
  - name: link-burst
    owner: spam-team
    mode: shadow
    policy: spam.commercial_spam
    when: 'actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20'
    then:
      - enqueue: {queue: scams-spam, priority: 0.8}
      - label: {entity: actor, label: suspected-spammer, expires_in: 24h}
  - name: threat
    mode: live
    when: content.text.contains("kill")
    then:
      - escalate: {policy: violence_and_incitement.credible_threats, reason: a threat}
"""
PLANTED = """\
rules:
  - name: syntax
    mode: live
    when: content.text == "a" &&
    then: []
  - name: field
    mode: shadow
    when: content.nope
    then:
      - enqueue: {queue: nowhere}
"""
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer(api_key(database, clock, role=Role.ANALYST))


def test_load_then_list_then_reload_unchanged(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = _analyst(database, clock)
    loaded = client.post("/api/v1/detect/rules", content=RULES, headers=analyst | TEXT)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {
        "created": [{"name": "link-burst", "version": 1}, {"name": "threat", "version": 1}],
        "changed": [],
        "unchanged": [],
        "retired": [],
        "reinstated": [],
        "versions_added": 2,
    }
    listed = client.get("/api/v1/detect/rules", headers=analyst).json()["rules"]
    burst = listed[0]
    assert (burst["name"], burst["version"], burst["mode"], burst["owner"], burst["policy"]) == (
        "link-burst",
        1,
        "shadow",
        "spam-team",
        "spam.commercial_spam",
    )
    assert burst["effects"] == [
        {"kind": "enqueue", "queue": "scams-spam", "policy": "spam.commercial_spam", "priority": 0.8}
        | {"action": None, "entity": None, "label": None, "expires_in": None, "reason": None},
        {"kind": "label", "entity": "actor", "label": "suspected-spammer", "expires_in": "1d"}
        | {"queue": None, "policy": None, "priority": None, "action": None, "reason": None},
    ]
    assert burst["confidence"] == 0.8 and len(burst["digest"]) == 64
    assert burst["loaded_at"] == "2026-11-02T09:00:00+00:00"
    again = client.post("/api/v1/detect/rules", json={"text": RULES}, headers=analyst).json()
    assert again["versions_added"] == 0
    assert again["unchanged"] == [{"name": "link-burst", "version": 1}, {"name": "threat", "version": 1}]
    with database.transaction() as session:
        loads = session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "rules.load"))
    assert loads == 2


def test_check_answers_200_with_every_diagnostic(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = _analyst(database, clock)
    for response in (
        client.post("/api/v1/detect/rules/check", content=PLANTED, headers=analyst | TEXT),
        client.post("/api/v1/detect/rules/check", json={"text": PLANTED}, headers=analyst),
    ):
        assert response.status_code == 200
        texts = [d["text"] for d in response.json()["diagnostics"]]
        assert texts[:2] == [
            "request:4:33: rules[0].when: invalid condition: it ends too early"
            " (an operand or a closing bracket is missing)",
            "request:8:19: rules[1].when: unknown field 'content.nope'",
        ]
        assert len(texts) == 3
        third = response.json()["diagnostics"][2]
        assert (third["line"], third["column"], third["path"]) == (10, 26, "rules[1].then[0].enqueue.queue")
        assert third["message"].startswith("unknown queue 'nowhere'")
    good = client.post("/api/v1/detect/rules/check", content=RULES, headers=analyst | TEXT)
    assert good.json() == {"diagnostics": []}
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == 0  # checking writes nothing


def test_load_refuses_a_file_that_does_not_check_and_writes_nothing(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = _analyst(database, clock)
    response = client.post("/api/v1/detect/rules", content=PLANTED, headers=analyst | TEXT)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["message"] == "rule file request has 3 errors"
    assert [d["path"] for d in body["error"]["details"]] == [
        "rules[0].when",
        "rules[1].when",
        "rules[1].then[0].enqueue.queue",
    ]
    assert [(d["line"], d["column"]) for d in body["diagnostics"]] == [(4, 33), (8, 19), (10, 26)]
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RuleVersion)) == 0
        assert (
            session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "rules.load")) == 0
        )


def test_bodies_that_are_not_a_rule_file(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = _analyst(database, clock)
    for kwargs, path in (
        ({"json": {"rules": []}}, "text"),
        ({"json": {"text": 5}}, "text"),
        ({"json": ["rules: []"]}, "text"),
        ({"json": {"text": "rules: []", "extra": 1}}, "text"),
        ({"content": b"\xff\xfe", "headers": TEXT}, ""),
        ({"content": "rules: []\x00", "headers": TEXT}, ""),
        ({"content": "rules: []", "headers": {"Content-Type": "application/yaml"}}, ""),
    ):
        headers = analyst | kwargs.pop("headers", {})
        response = client.post("/api/v1/detect/rules/check", headers=headers, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 422, (kwargs, response.text)
        assert [d["path"] for d in response.json()["error"]["details"]] == [path]
    huge = "#" * (8 * 1024 * 1024 + 1)
    assert client.post("/api/v1/detect/rules/check", content=huge, headers=analyst | TEXT).status_code == 413


def test_permissions_deny_by_default(client: TestClient, database: Database, clock: FrozenClock) -> None:
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    for headers in (reviewer, platform, {}):
        assert client.get("/api/v1/detect/rules", headers=headers).status_code in (401, 403)
        assert client.post("/api/v1/detect/rules/check", content=RULES, headers=headers | TEXT).status_code in (
            401,
            403,
        )
        assert client.post("/api/v1/detect/rules", content=RULES, headers=headers | TEXT).status_code in (401, 403)
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    assert client.get("/api/v1/detect/rules", headers=admin).json() == {"rules": []}


def test_over_real_http(live_server: LiveServer, sqlite_database: Database, clock: FrozenClock) -> None:
    analyst = _analyst(sqlite_database, clock)
    with httpx.Client(base_url=live_server.url, headers=analyst) as http:
        assert http.post("/api/v1/detect/rules", content=RULES, headers=TEXT).status_code == 200
        changed = http.post("/api/v1/detect/rules", json={"text": RULES.replace("0.8", "0.9")}).json()
        assert changed["changed"] == [{"name": "link-burst", "version": 2}]
        names = [(r["name"], r["version"]) for r in http.get("/api/v1/detect/rules").json()["rules"]]
    assert names == [("link-burst", 2), ("threat", 1)]
