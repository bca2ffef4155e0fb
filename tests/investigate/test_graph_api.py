"""`/api/v1/graph` on SQLite and PostgreSQL through real HTTP handling: investigators and admins only (a
reviewer and a vendor reviewer are refused), every view in the audit log, bad input named, private values
masked for whoever may read investigations but not manage them."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.domain.access import Permission, Role
from bastion.investigate.graph_view import entity_graph_view, graph_limits
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def _actors(client: TestClient, database: Database, clock: FrozenClock) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    shared = {"device_id": "dev-ring", "ip": "203.0.113.9", "email": "a@ring.example"}
    for name, attributes in [
        ("acct-1", shared | {"payment_fingerprint": "pay-1"}),
        ("acct-2", shared),
        ("acct-3", {"payment_fingerprint": "pay-1", "phone": "+1 555 0100"}),
        ("acct-4", {"device_id": "dev-other"}),
    ]:
        body = {"id": name, "created_at": "2026-01-01T00:00:00Z", "attributes": attributes}
        client.post("/api/v1/actors", json=body, headers=platform).raise_for_status()


def test_an_investigator_expands_an_actor(client: TestClient, database: Database, clock: FrozenClock) -> None:
    _actors(client, database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    answer = client.get("/api/v1/graph", params={"subject": "actor:acct-1", "hops": 2}, headers=ines)
    assert answer.status_code == 200, answer.text
    graph = answer.json()
    actors = {n["value"] for n in graph["nodes"] if n["kind"] == "actor"}
    assert actors == {"acct-1", "acct-2", "acct-3"}
    assert {"device:dev-ring", "payment:pay-1", "email_domain:ring.example", "ip:203.0.113.9"} <= {
        n["id"] for n in graph["nodes"]
    }
    assert {"source": "actor:acct-3", "target": "payment:pay-1"} in [
        {"source": e["source"], "target": e["target"]} for e in graph["edges"]
    ]
    assert not any(n["masked"] for n in graph["nodes"])  # an investigator may manage: nothing hidden
    only = client.get(
        "/api/v1/graph", params={"subject": "actor:acct-1", "types": "payment", "hops": 2}, headers=ines
    ).json()
    assert {n["id"] for n in only["nodes"]} == {"actor:acct-1", "payment:pay-1", "actor:acct-3"}
    with database.transaction() as session:
        rows = audit_log.search(session, audit_log.AuditFilters(target="actor:acct-1", action="graph.viewed"))
    assert rows.total == 2


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST])
def test_other_roles_are_refused(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    _actors(client, database, clock)
    other = _key(database, clock, "other", role)
    assert client.get("/api/v1/graph", params={"subject": "actor:acct-1"}, headers=other).status_code == 403
    with database.transaction() as session:
        assert audit_log.search(session, audit_log.AuditFilters(action="graph.viewed")).total == 0


def test_bad_input_names_the_field_and_unknown_actors_are_404(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    for params, field in [
        ({"subject": "content:c1"}, "subject"),
        ({"subject": "actor:x", "types": "ip,shoe"}, "types"),
        ({"subject": "actor:x", "hops": 4}, "hops"),
        ({"subject": "actor:x", "since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until"),
    ]:
        bad = client.get("/api/v1/graph", params=params, headers=ines)
        assert bad.status_code == 422, (params, bad.text)
        assert any(d["path"].endswith(field) for d in bad.json()["error"]["details"]), bad.json()
    assert client.get("/api/v1/graph", params={"subject": "actor:nobody"}, headers=ines).status_code == 404


def test_private_values_are_masked_without_investigate_manage(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _actors(client, database, clock)
    reader = Principal(name="user:reader", roles=frozenset({Role.INVESTIGATOR}))
    object.__setattr__(reader, "permissions", frozenset({Permission.INVESTIGATE_READ}))  # read, not manage
    with database.transaction() as session:
        view = entity_graph_view(session, reader, "acct-1", graph_limits(hops=2), now=clock())
    by_kind = {n.kind: n for n in view.nodes if n.kind != "actor"}
    # the default configuration's private fields: ip, device_id, email, phone
    assert by_kind["ip"].masked and by_kind["device"].masked and by_kind["email_domain"].masked
    assert not by_kind["payment"].masked and by_kind["payment"].value == "pay-1"
    shown = repr(dataclasses.asdict(view))
    assert "203.0.113.9" not in shown and "dev-ring" not in shown and "ring.example" not in shown
    assert {n.value for n in view.nodes if n.kind == "actor"} == {"acct-1", "acct-2", "acct-3"}  # the shape stays
