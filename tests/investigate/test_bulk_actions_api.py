"""`/api/v1/networks` and `/api/v1/bulk-actions` through real HTTP handling on SQLite and PostgreSQL: the
networks as the CLI prints them, a case opened from one, preview, act with the token, read, reverse (once);
refused for every role but investigators and admins; a bad token named; the cap from the settings."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion.assembly import create_app
from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.http.context import AppContext
from bastion.investigate.network_service import find_networks, report_json
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user
from tests.investigate.test_network_store import RING, _platform


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def test_a_network_acted_on_and_reversed_through_the_api(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _platform(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    listed = client.get("/api/v1/networks", headers=ines)
    assert listed.status_code == 200, listed.text
    with database.transaction() as session:
        cli_json = report_json(find_networks(session, SYSTEM))
    assert listed.json()["networks"] == cli_json["networks"]  # the same JSON as the CLI prints
    (network,) = listed.json()["networks"]
    path = f"/api/v1/networks/{network['id']}"

    case = client.post(f"{path}/case", json={"severity": 2}, headers=ines).json()
    assert (case["source"], case["source_ref"], case["links"][0]["members"]) == ("network", network["id"], RING)

    preview = client.post(f"{path}/actions/preview", json={"action": "suspend"}, headers=ines).json()
    assert (preview["to_change"], preview["skipped"], preview["case_id"]) == (6, 0, case["id"])
    assert [i["id"] for i in preview["items"]] == RING
    bad = client.post(f"{path}/actions", json={"action": "suspend", "token": "ok"}, headers=ines)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "token"
    taken = client.post(f"{path}/actions", json={"action": "suspend", "token": preview["token"]}, headers=ines)
    assert taken.status_code == 200, taken.text
    bulk = taken.json()
    assert (bulk["changed"], bulk["skipped"], bulk["case_id"], bulk["taken_by"]) == (6, 0, case["id"], "user:ines")
    again = client.post(f"{path}/actions", json={"action": "suspend", "token": preview["token"]}, headers=ines)
    assert again.status_code == 409
    second = client.post(f"{path}/actions/preview", json={"action": "suspend"}, headers=ines).json()
    assert (second["to_change"], second["skipped"]) == (0, 6)  # what the first did, seen by the next preview

    reversed_ = client.post(f"/api/v1/bulk-actions/{bulk['id']}/reverse", json={"note": "test"}, headers=ines)
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["reversed_by"] == "user:ines"
    assert all(i["restored_by_action"] for i in reversed_.json()["items"])
    assert client.get(f"/api/v1/bulk-actions/{bulk['id']}", headers=ines).json() == reversed_.json()
    twice = client.post(f"/api/v1/bulk-actions/{bulk['id']}/reverse", json={}, headers=ines)
    assert twice.status_code == 409 and "already reversed" in twice.json()["error"]["message"]
    timeline = client.get(f"/api/v1/cases/{case['id']}", headers=ines).json()["timeline"]
    assert [e["kind"] for e in timeline if e["kind"].startswith("bulk_action.")] == [
        "bulk_action.taken",
        "bulk_action.reversed",
    ]
    assert client.get("/api/v1/bulk-actions/999", headers=ines).status_code == 404
    assert (
        client.post(
            "/api/v1/networks/network-000000000000/actions/preview", json={"action": "ban"}, headers=ines
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST, Role.QA])
def test_other_roles_are_refused(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    _platform(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    other = _key(database, clock, "other", role)
    (network,) = client.get("/api/v1/networks", headers=ines).json()["networks"]
    path = f"/api/v1/networks/{network['id']}"
    token = client.post(f"{path}/actions/preview", json={"action": "ban"}, headers=ines).json()["token"]
    bulk = client.post(f"{path}/actions", json={"action": "ban", "token": token}, headers=ines).json()
    for method, url, body in (
        ("GET", "/api/v1/networks", None),
        ("POST", f"{path}/actions/preview", {"action": "ban"}),
        ("POST", f"{path}/actions", {"action": "ban", "token": token}),
        ("POST", f"{path}/case", {"severity": 3}),
        ("GET", f"/api/v1/bulk-actions/{bulk['id']}", None),
        ("POST", f"/api/v1/bulk-actions/{bulk['id']}/reverse", {}),
    ):
        answer = client.request(method, url, json=body, headers=other)
        assert answer.status_code == 403, (method, url, answer.text)
    assert client.get(f"/api/v1/bulk-actions/{bulk['id']}", headers=ines).json()["reversed_at"] is None


def test_the_cap_comes_from_the_settings(sqlite_database: Database, clock: FrozenClock) -> None:
    _platform(sqlite_database)
    ines = _key(sqlite_database, clock, "ines", Role.INVESTIGATOR)
    context = AppContext(sqlite_database, Settings(database_url=sqlite_database.url, bulk_action_cap=5), clock)
    with TestClient(create_app(context), base_url="http://127.0.0.1") as client:
        (network,) = client.get("/api/v1/networks", headers=ines).json()["networks"]
        refused = client.post(
            f"/api/v1/networks/{network['id']}/actions/preview", json={"action": "suspend"}, headers=ines
        )
    assert refused.status_code == 422
    assert "the cap is 5 per bulk action" in refused.json()["error"]["details"][0]["message"]
