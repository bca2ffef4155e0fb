"""Private actor attributes stay away from vendor reviewers, whatever their case and depth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bastion.auth.sessions import log_in
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.review.private_fields import without_private_fields
from bastion.store.database import Database
from tests.conftest import PASSWORD, api_key, bearer, make_user

DEFAULT_PRIVATE = ("ip", "device_id", "email", "phone")  # the default configuration's private_fields


@pytest.mark.parametrize(
    ("attributes", "private", "kept"),
    [
        ({"IP": "1.2.3.4", "Email": "a@b.c", "followers": 3}, DEFAULT_PRIVATE, {"followers": 3}),
        ({"contact": {"email": "a@b.c", "city": "Lisbon"}}, DEFAULT_PRIVATE, {"contact": {"city": "Lisbon"}}),
        (
            {"devices": [{"Device_ID": "d1", "model": "x"}, "plain"]},
            DEFAULT_PRIVATE,
            {"devices": [{"model": "x"}, "plain"]},
        ),
        ({"phone": {"mobile": "1", "home": "2"}, "bio": "hi"}, DEFAULT_PRIVATE, {"bio": "hi"}),
        # a dotted name hides only that path
        ({"contact": {"Email": "a@b.c"}, "email": "kept"}, ("contact.email",), {"contact": {}, "email": "kept"}),
        ({"a": {"b": {"c": 1, "d": 2}}}, ("A.B.C",), {"a": {"b": {"d": 2}}}),
        ({"ip": "1.2.3.4"}, (), {"ip": "1.2.3.4"}),
        ({}, DEFAULT_PRIVATE, {}),
    ],
)
def test_private_keys_go_at_any_depth_in_any_case(
    attributes: dict[str, Any], private: tuple[str, ...], kept: dict[str, Any]
) -> None:
    assert without_private_fields(attributes, private) == kept


def test_the_original_is_left_alone() -> None:
    attributes = {"contact": {"email": "a@b.c"}}
    without_private_fields(attributes, ["email"])
    assert attributes == {"contact": {"email": "a@b.c"}}


KEYS = st.sampled_from(["ip", "IP", "Ip", "email", "EMAIL", "contact", "name", "followers", "x"]) | st.text(max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)
NAMES = st.lists(
    st.sampled_from(["ip", "Email", "PHONE", "contact", "x"]) | st.text(min_size=1, max_size=4), max_size=4
)


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for key, item in value.items() for k in (key, *_keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


@given(OBJECTS, NAMES)
def test_no_private_key_survives_anywhere(attributes: dict[str, Any], private: list[str]) -> None:
    hidden = {name.casefold() for name in private if "." not in name}
    assert not {key.casefold() for key in _keys(without_private_fields(attributes, private))} & hidden


@given(OBJECTS, NAMES)
def test_redacting_twice_changes_nothing_more(attributes: dict[str, Any], private: list[str]) -> None:
    once = without_private_fields(attributes, private)
    assert without_private_fields(once, private) == once


@given(OBJECTS, NAMES)
def test_what_no_name_matches_is_kept_whole(attributes: dict[str, Any], private: list[str]) -> None:
    hidden = {name.casefold() for name in private}
    if not {key.casefold() for key in _keys(attributes)} & hidden:
        assert without_private_fields(attributes, private) == attributes


SECRETS = ("203.0.113.9", "ana@mail.example", "contact@mail.example", "198.51.100.7", "+351 900 000 000")


def _seed(client: TestClient, platform: dict[str, str]) -> None:
    author = {
        "id": "author",
        "created_at": "2025-01-01T00:00:00Z",
        "language": "en",
        "attributes": {
            "IP": SECRETS[0],
            "Email": SECRETS[1],
            "contact": {"email": SECRETS[2], "city": "Lisbon"},
            "devices": [{"ip": SECRETS[3], "model": "pixel"}],
            "Phone": SECRETS[4],
            "followers": 5000,
        },
    }
    client.post("/api/v1/actors", json=author, headers=platform).raise_for_status()
    post = {
        "id": "p1",
        "actor_id": "author",
        "type": "post",
        "text": "they are vermin",
        "language": "en",
        "created_at": "2026-11-01T10:00:00Z",
    }
    client.post("/api/v1/content", json=post, headers=platform).raise_for_status()
    report = {"id": "r1", "target": {"content_id": "p1"}, "reason": "hate_speech", "created_at": "2026-11-01T11:00:00Z"}
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def test_a_vendor_reviewer_sees_no_private_attribute_in_the_job_or_the_console(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    """Regression: `IP`, `Email` and `contact.email` were shown to vendor reviewers."""
    _seed(client, bearer(api_key(database, clock, role=Role.PLATFORM)))
    make_user(database, clock, "val", Role.VENDOR_REVIEWER, vendor="acme-review", languages=("en",))
    vendor = bearer(api_key(database, clock, user="val"))
    claimed = client.post("/api/v1/queues/hate-harassment/claim", headers=vendor)
    assert claimed.status_code == 200, claimed.text
    job_id = claimed.json()["id"]
    opened = client.get(f"/api/v1/jobs/{job_id}", headers=vendor)
    login = log_in(database, "val", PASSWORD, address="127.0.0.1", now=clock(), lifetime=timedelta(hours=1))
    page = client.get(f"/review/jobs/{job_id}", headers={"Cookie": f"bastion_session={login.token}"})
    assert page.status_code == 200
    for body in (claimed.json(), opened.json()):
        assert body["author"]["attributes"] == {
            "contact": {"city": "Lisbon"},
            "devices": [{"model": "pixel"}],
            "followers": 5000,
        }
    for shown in (claimed.text, opened.text, page.text):
        assert not [secret for secret in SECRETS if secret in shown]
    assert "Lisbon" in page.text


def test_an_in_house_reviewer_sees_every_attribute(client: TestClient, database: Database, clock: FrozenClock) -> None:
    _seed(client, bearer(api_key(database, clock, role=Role.PLATFORM)))
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    job = client.post("/api/v1/queues/hate-harassment/claim", headers=bearer(api_key(database, clock, user="rita")))
    assert job.json()["author"]["attributes"]["contact"] == {"email": SECRETS[2], "city": "Lisbon"}
    assert all(secret in job.text for secret in SECRETS)
