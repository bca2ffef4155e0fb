"""The clusters API: the list, one cluster, a bulk decision from its preview; roles checked on each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import Decision
from tests.conftest import api_key, bearer, make_user
from tests.match.cluster_factory import make_cluster

CLUSTERS = "/api/v1/match/clusters"


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="Northwind BPO" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


@pytest.fixture
def qa(database: Database, clock: FrozenClock) -> dict[str, str]:
    return _key(database, clock, "quinn", Role.QA)


def test_list_show_and_decide_a_cluster(
    client: TestClient, qa: dict[str, str], database: Database, clock: FrozenClock
) -> None:
    cluster, ids = make_cluster(database, clock, 5, reported=2)
    make_cluster(database, clock, 3, prefix="d", text="Mau followers {} ribu? Gratis, cek link di bio promo-kilat {}")
    clock.advance(timedelta(minutes=30))
    listed = client.get(CLUSTERS, headers=qa)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["total"], body["order"]) == (2, "size")
    largest = body["clusters"][0]
    assert (largest["id"], largest["size"], largest["representative_id"]) == (cluster, 5, "c1")
    assert (largest["growth_1h"], largest["growth_24h"]) == (5, 5)
    shown = client.get(f"{CLUSTERS}/{cluster}", params={"sample": 2}, headers=qa).json()
    assert (shown["members_with_open_jobs"], shown["members_decided"]) == (2, 0)
    assert [m["content_id"] for m in shown["sample"]] == ["c5", "c4"]  # the newest first
    decided = client.post(
        f"{CLUSTERS}/{cluster}/decision",
        json={"policy": "spam", "action": "remove", "rationale": "one scam, five copies", "expected_members": 5},
        headers=qa,
    )
    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert (len(outcome["decided"]), len(outcome["opened"]), outcome["skipped"]) == (5, 3, [])
    assert client.get(f"{CLUSTERS}/{cluster}", headers=qa).json()["members_decided"] == 5
    assert len(ids) == 5


def test_a_stale_preview_an_unknown_cluster_and_a_bad_body_are_refused(
    client: TestClient, qa: dict[str, str], database: Database, clock: FrozenClock
) -> None:
    cluster, _ = make_cluster(database, clock, 3, reported=3)
    body = {"policy": "spam", "action": "remove", "rationale": "copies", "expected_members": 2}
    stale = client.post(f"{CLUSTERS}/{cluster}/decision", json=body, headers=qa)
    assert stale.status_code == 409 and "preview it again" in stale.json()["error"]["message"]
    missing = client.post(f"{CLUSTERS}/999999/decision", json=body | {"expected_members": 3}, headers=qa)
    assert missing.status_code == 404
    assert client.get(f"{CLUSTERS}/999999", headers=qa).status_code == 404
    extra = client.post(f"{CLUSTERS}/{cluster}/decision", json=body | {"everything": True}, headers=qa)
    assert extra.status_code == 422
    no_reason = client.post(f"{CLUSTERS}/{cluster}/decision", json=body | {"rationale": ""}, headers=qa)
    assert no_reason.status_code == 422
    assert [d["path"] for d in no_reason.json()["error"]["details"]] == ["rationale"]
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


@pytest.mark.parametrize(
    ("role", "read", "decide"),
    [
        (Role.ADMIN, 200, 200),
        (Role.QA, 200, 200),
        (Role.ANALYST, 200, 403),
        (Role.REVIEWER, 403, 403),
        (Role.VENDOR_REVIEWER, 403, 403),
        (Role.INVESTIGATOR, 403, 403),
    ],
)
def test_who_may_read_and_decide_clusters(
    client: TestClient, database: Database, clock: FrozenClock, role: Role, read: int, decide: int
) -> None:
    cluster, _ = make_cluster(database, clock, 2, reported=2)
    headers = _key(database, clock, "someone", role)
    assert client.get(CLUSTERS, headers=headers).status_code == read
    assert client.get(f"{CLUSTERS}/{cluster}", headers=headers).status_code == read
    body = {"policy": "none", "action": "no_action", "rationale": "fine", "expected_members": 2}
    assert client.post(f"{CLUSTERS}/{cluster}/decision", json=body, headers=headers).status_code == decide


def test_without_credentials_nothing_is_answered(client: TestClient) -> None:
    assert client.get(CLUSTERS).status_code == 401
    assert client.get(f"{CLUSTERS}/1").status_code == 401
    body = {"policy": "none", "action": "no_action", "rationale": "x", "expected_members": 2}
    assert client.post(f"{CLUSTERS}/1/decision", json=body).status_code == 401
