"""The banks API: create, import (errors name the index, nothing written), read with paged entries, access."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import BankVersion
from tests.conftest import api_key, bearer, make_user

BANKS = "/api/v1/detect/banks"


@pytest.fixture
def analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    make_user(database, clock, "ana", Role.ANALYST)
    return bearer(api_key(database, clock, user="ana"))


def test_create_import_and_read_a_keyword_bank(client: TestClient, analyst: dict[str, str]) -> None:
    created = client.post(BANKS, json={"name": "spam", "kind": "keyword", "description": "Sellers"}, headers=analyst)
    assert created.status_code == 200, created.text
    assert created.json() | {"created_at": None} == {
        "name": "spam",
        "kind": "keyword",
        "description": "Sellers",
        "version": 0,
        "entry_count": 0,
        "created_at": None,
        "created_by": "user:ana",
        "updated_at": None,
    }
    entries = [f"term {n}" for n in range(150)] + ["TERM 3", "free followers"]
    imported = client.post(f"{BANKS}/spam/entries", json={"entries": entries}, headers=analyst)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "bank": "spam",
        "version": 1,
        "entry_count": 151,
        "added": 151,
        "duplicates": ["TERM 3"],
        "replaced": False,
    }
    (listed,) = client.get(BANKS, headers=analyst).json()
    assert (listed["name"], listed["version"], listed["entry_count"]) == ("spam", 1, 151)
    detail = client.get(f"{BANKS}/spam", params={"offset": 100, "limit": 20}, headers=analyst).json()
    assert detail["entries"] == [f"term {n}" for n in range(100, 120)]
    assert (detail["version"], detail["entry_count"], detail["matching"], detail["offset"]) == (1, 151, 151, 100)
    assert [(v["version"], v["entry_count"], v["loaded_by"], v["source"]) for v in detail["versions"]] == [
        (1, 151, "user:ana", "api")
    ]
    found = client.get(f"{BANKS}/spam", params={"contains": "FR3E"}, headers=analyst).json()
    assert (found["entries"], found["matching"]) == (["free followers"], 1)


def test_a_bad_entry_names_its_index_and_nothing_is_written(
    client: TestClient, analyst: dict[str, str], database: Database
) -> None:
    client.post(BANKS, json={"name": "phones", "kind": "regex"}, headers=analyst).raise_for_status()
    refused = client.post(
        f"{BANKS}/phones/entries", json={"entries": [r"\+\d{8,}", "(a", "x" * 300], "replace": True}, headers=analyst
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid_input",
        "message": "2 entries cannot go into bank 'phones'; nothing was imported",
        "details": [
            {"path": "entries[1]", "message": "RE2 refuses this pattern: missing ): (a"},
            {"path": "entries[2]", "message": "is 300 characters long; an entry holds at most 256"},
        ],
    }
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BankVersion)) == 0


def test_bad_names_taken_names_and_unknown_banks(client: TestClient, analyst: dict[str, str]) -> None:
    bad = client.post(BANKS, json={"name": "spam-terms", "kind": "keyword"}, headers=analyst)
    assert bad.status_code == 422
    (detail,) = bad.json()["error"]["details"]
    assert detail["path"] == "name" and "cannot hold - or ." in detail["message"]
    client.post(BANKS, json={"name": "spam", "kind": "keyword"}, headers=analyst).raise_for_status()
    taken = client.post(BANKS, json={"name": "spam", "kind": "regex"}, headers=analyst)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "conflict")
    assert client.get(f"{BANKS}/nope", headers=analyst).status_code == 404
    missing = client.post(f"{BANKS}/nope/entries", json={"entries": ["x"]}, headers=analyst)
    assert missing.status_code == 404
    wrong_kind = client.post(BANKS, json={"name": "x", "kind": "hash"}, headers=analyst)
    assert wrong_kind.status_code == 422 and wrong_kind.json()["error"]["details"][0]["path"] == "kind"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.PLATFORM, Role.QA])
def test_only_those_with_detection_permissions_see_or_change_banks(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    key = bearer(api_key(database, clock, role=role))
    assert client.get(BANKS, headers=key).status_code == 403
    assert client.post(BANKS, json={"name": "spam", "kind": "keyword"}, headers=key).status_code == 403
    assert client.get(BANKS).status_code == 401
