"""The audit log page: filtered and paged on the server, targets linked to their pages, all escaped."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.web.routes import target_link
from tests.conftest import api_key, bearer


def _rows(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        for i in range(130):
            audit_log.record(
                session, principal="user:rita", action="job.view", target=f"job:{i}", at=clock() + timedelta(minutes=i)
            )
        audit_log.record(
            session, principal="user:<b>x</b>", action="subject.view", target="content:<script>a b</script>", at=clock()
        )


def test_the_audit_log_filters_and_pages_on_the_server(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _rows(database, clock)
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    page = client.get("/audit", params={"action": "job.view"}, headers=admin)
    assert page.status_code == 200
    assert "130 entries" in page.text
    assert page.text.count('href="/review/jobs/') == 100  # one page of 100, each target linked
    older = re.search(r'href="(/audit\?[^"]*before=\d+)"', page.text)
    assert older is not None
    rest = client.get(older.group(1).replace("&amp;", "&"), headers=admin)
    assert rest.text.count('href="/review/jobs/') == 30 and "Older" not in rest.text

    one = client.get("/audit", params={"target": "job:7"}, headers=admin)
    assert "1 entry" in one.text and 'href="/review/jobs/7"' in one.text
    since = (clock() + timedelta(minutes=120)).isoformat()
    late = client.get("/audit", params={"since": since, "principal": "user:rita"}, headers=admin)
    assert "10 entries" in late.text

    hostile = client.get("/audit", params={"target": "content:"}, headers=admin)
    assert "<script>a b</script>" not in hostile.text and "&lt;script&gt;a b&lt;/script&gt;" in hostile.text
    assert 'href="/content/%3Cscript%3Ea%20b%3C%2Fscript%3E"' in hostile.text
    assert "<b>x</b>" not in hostile.text


def test_bad_audit_filters_are_named(client: TestClient, database: Database, clock: FrozenClock) -> None:
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    page = client.get("/audit", params={"since": "last week", "before": "x"}, headers=admin)
    assert page.status_code == 422
    assert "must be a date or time" in page.text and "must be a row number" in page.text
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    assert client.get("/audit", headers=analyst).status_code == 403


def test_targets_link_to_their_pages() -> None:
    assert target_link("job:12") == "/review/jobs/12"
    assert target_link("actor:a/b?c") == "/actors/a%2Fb%3Fc"
    assert target_link("user:alice") == "/audit?principal=user%3Aalice"
    assert target_link("policies.yaml") is None and target_link("web") is None and target_link("job:") is None


def test_the_audit_log_json_twin_pages_like_the_page(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _rows(database, clock)
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    first = client.get("/api/v1/audit", params={"action": "job.view", "limit": 100}, headers=admin).json()
    assert first["total"] == 130 and len(first["rows"]) == 100 and first["rows"][0]["target"] == "job:129"
    rest = client.get("/api/v1/audit", params={"action": "job.view", "before": first["older"]}, headers=admin).json()
    assert len(rest["rows"]) == 30 and rest["older"] is None and rest["rows"][-1]["target"] == "job:0"
    kinds = client.get("/api/v1/audit", params={"target": "content:"}, headers=admin).json()
    assert [r["target"] for r in kinds["rows"]] == ["content:<script>a b</script>"]
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    assert client.get("/api/v1/audit", headers=analyst).status_code == 403
