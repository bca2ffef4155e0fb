"""`/api/v1/cases` on SQLite and PostgreSQL: open, list, show, note, move, flag, link and refer through real
HTTP handling; investigators and admins only (a vendor reviewer never); each answer audited as a view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def test_a_case_through_the_api(client: TestClient, database: Database, clock: FrozenClock) -> None:
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    client.post(
        "/api/v1/actors", json={"id": "acct-1", "created_at": "2026-01-01T00:00:00Z"}, headers=platform
    ).raise_for_status()
    opened = client.post("/api/v1/cases", json={"title": "Scam ring", "severity": 2}, headers=ines)
    assert opened.status_code == 200, opened.text
    case = opened.json()
    assert (case["status"], case["severity"], case["threat"], case["source"]) == ("open", "SEV2", False, "manual")
    path = f"/api/v1/cases/{case['id']}"
    linked = client.post(f"{path}/links", json={"kind": "actor", "ref": "acct-1"}, headers=ines).json()
    assert [(link["kind"], link["ref"]) for link in linked["links"]] == [("actor", "acct-1")]
    noted = client.post(f"{path}/notes", json={"body": "same device as last month"}, headers=ines).json()
    assert noted["notes"][0]["body"] == "same device as last month"
    refused = client.post(f"{path}/referrals", json=_referral(), headers=ines)
    assert refused.status_code == 409 and "is open: it can move to" in refused.json()["error"]["message"]
    moved = client.post(f"{path}/status", json={"status": "investigating"}, headers=ines).json()
    assert moved["status"] == "investigating"
    referred = client.post(f"{path}/referrals", json=_referral(), headers=ines).json()
    assert referred["status"] == "referred" and referred["referrals"][0]["date"] == "2026-03-02"
    flagged = client.post(f"{path}/flag", headers=ines).json()
    assert flagged["threat"] is True
    listed = client.get("/api/v1/cases", params={"status": "referred"}, headers=ines).json()
    assert [c["id"] for c in listed] == [case["id"]] and listed[0]["respond_by"]
    kinds = [entry["kind"] for entry in client.get(path, headers=ines).json()["timeline"]]
    assert kinds[:3] == ["actor.created", "case.opened", "case.linked"]  # the linked actor's history too
    assert kinds[-2:] == ["case.referred", "case.threat_flagged"]
    with database.transaction() as session:
        rows = audit_log.search(session, audit_log.AuditFilters(target=f"case:{case['id']}", action="case.viewed"))
    assert rows.total == 7  # every answer that showed the case; the refused referral wrote nothing


def _referral() -> dict[str, str]:
    return {"agency": "Policía Nacional", "date": "2026-03-02", "reference": "ES-77", "sent": "package sha256 ab"}


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST, Role.QA])
def test_other_roles_are_refused(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    admin = _key(database, clock, "ada", Role.ADMIN)
    other = _key(database, clock, "other", role)
    case_id = client.post("/api/v1/cases", json={"title": "x", "severity": 3}, headers=admin).json()["id"]
    assert client.get("/api/v1/cases", headers=other).status_code == 403
    assert client.get(f"/api/v1/cases/{case_id}", headers=other).status_code == 403
    assert client.post("/api/v1/cases", json={"title": "x", "severity": 3}, headers=other).status_code == 403


def test_bad_input_is_422_naming_the_field_and_unknown_ids_404(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    bad = client.post("/api/v1/cases", json={"title": " ", "severity": 9}, headers=ines)
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json()["error"]["details"]} == {"title", "severity"}
    both = client.post(
        "/api/v1/cases", json={"title": "x", "severity": 1, "from_job": 1, "from_trend": 1}, headers=ines
    )
    assert both.status_code == 422 and both.json()["error"]["details"][0]["path"] == "from_trend"
    assert client.get("/api/v1/cases/999", headers=ines).status_code == 404
    assert (
        client.post("/api/v1/cases", json={"title": "x", "severity": 1, "from_job": 999}, headers=ines).status_code
        == 404
    )
