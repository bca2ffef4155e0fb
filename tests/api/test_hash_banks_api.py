"""The hash bank API: create, import (bad lines named, nothing written), enable and disable, lookup of
hashes and of an image turned around, recent matches, and who may do what."""

from __future__ import annotations

import base64
import io
import random

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.match.pdq import hash_image
from bastion.store.database import Database
from bastion.store.schema import HashBankEntry
from tests.conftest import api_key, bearer, make_user

BANKS = "/api/v1/hash/banks"
LOOKUP = "/api/v1/hash/lookup"
A = "f0" * 32
B = "0123456789abcdef" * 4


@pytest.fixture
def analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    make_user(database, clock, "ana", Role.ANALYST)
    return bearer(api_key(database, clock, user="ana"))


@pytest.fixture
def reviewer(database: Database, clock: FrozenClock) -> dict[str, str]:
    make_user(database, clock, "rev", Role.REVIEWER)
    return bearer(api_key(database, clock, user="rev"))


def _png(seed: int) -> bytes:
    """A picture of blurred shapes: what PDQ is made for (noise hashes poorly and turns badly)."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (320, 240), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, w, h = rnd.randrange(320), rnd.randrange(240), rnd.randrange(20, 140), rnd.randrange(20, 140)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)([x, y, x + w, y + h], fill=colour)
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(3)).save(out, format="PNG")
    return out.getvalue()


def test_create_import_and_look_up(client: TestClient, analyst: dict[str, str]) -> None:
    created = client.post(BANKS, json={"name": "scam_images", "policy": "spam.commercial_spam"}, headers=analyst)
    assert created.status_code == 200, created.text
    body = created.json()
    assert (body["kind"], body["threshold"], body["enabled"], body["entry_count"]) == ("match", 31, True, 0)
    assert (body["policy_id"], body["flood"], body["created_by"]) == ("spam.commercial_spam", None, "user:ana")
    imported = client.post(
        f"{BANKS}/scam_images/hashes", json={"text": f"pdq,label\n{A},logo\n{A},again\n"}, headers=analyst
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() | {"entry_count": None} == {
        "bank": "scam_images",
        "format": "csv",
        "added": 1,
        "already_present": 1,
        "skipped": 0,
        "entry_count": None,
        "retroactive_matches": 0,
        "items_rechecked": 0,
        "jobs_opened": 0,
    }
    near = f"{int(A, 16) ^ 0b1111:064x}"
    found = client.post(LOOKUP, json={"hashes": [near, B]}, headers=analyst)
    assert found.status_code == 200, found.text
    assert found.json() == [
        {
            "pdq": near,
            "quality": None,
            "matches": [
                {"bank": "scam_images", "kind": "match", "distance": 4, "label": "logo", "variant": "original"}
            ],
        },
        {"pdq": B, "quality": None, "matches": []},
    ]
    assert client.post(f"{BANKS}/scam_images/disable", headers=analyst).json()["enabled"] is False
    assert client.post(LOOKUP, json={"hashes": [near]}, headers=analyst).json()[0]["matches"] == []
    assert client.post(f"{BANKS}/scam_images/enable", headers=analyst).json()["enabled"] is True
    tighter = client.post(f"{BANKS}/scam_images/threshold", json={"threshold": 3}, headers=analyst)
    assert tighter.json()["threshold"] == 3
    assert client.post(LOOKUP, json={"hashes": [near]}, headers=analyst).json()[0]["matches"] == []
    removed = client.post(f"{BANKS}/scam_images/hashes/remove", json={"hashes": [A, B]}, headers=analyst)
    assert removed.json() == {"removed": 1}
    (listed,) = client.get(BANKS, headers=analyst).json()
    assert (listed["entry_count"], listed["version"]) == (0, 6)


def test_an_image_turned_around_is_found_with_its_dihedral_variants(
    client: TestClient, analyst: dict[str, str]
) -> None:
    original = _png(1)
    client.post(BANKS, json={"name": "known"}, headers=analyst)
    client.post(f"{BANKS}/known/hashes", json={"text": hash_image(original).hex}, headers=analyst)
    with Image.open(io.BytesIO(original)) as image:
        turned = io.BytesIO()
        image.transpose(Image.Transpose.ROTATE_90).save(turned, format="PNG")
    sent = base64.b64encode(turned.getvalue()).decode()
    plain = client.post(LOOKUP, json={"image": sent}, headers=analyst).json()
    assert plain[0]["matches"] == [] and plain[0]["quality"] >= 50
    turned_back = client.post(LOOKUP, json={"image": sent, "dihedral": True}, headers=analyst).json()
    (match,) = turned_back[0]["matches"]
    assert match["bank"] == "known" and match["distance"] <= 31 and match["variant"] != "original"


def test_a_bad_line_is_named_and_nothing_is_imported(
    client: TestClient, analyst: dict[str, str], database: Database
) -> None:
    client.post(BANKS, json={"name": "known"}, headers=analyst)
    refused = client.post(f"{BANKS}/known/hashes", json={"text": f"{A}\nxyz\n{B}\n", "format": "hex"}, headers=analyst)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_input" and "nothing was imported" in error["message"]
    assert "line 2" in str(error["details"]) or error["details"][0]["path"] == "hash"
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(HashBankEntry)) == 0
    both = client.post(LOOKUP, json={"hashes": [A], "image": "AAAA"}, headers=analyst)
    assert both.status_code == 422
    not_base64 = client.post(LOOKUP, json={"image": "***"}, headers=analyst)
    assert not_base64.status_code == 422 and not_base64.json()["error"]["details"][0]["path"] == "image"
    not_an_image = client.post(LOOKUP, json={"image": base64.b64encode(b"hello").decode()}, headers=analyst)
    assert not_an_image.status_code == 422 and "not an image" in not_an_image.text
    bad_hash = client.post(LOOKUP, json={"hashes": ["12"]}, headers=analyst)
    assert bad_hash.json()["error"]["details"][0]["path"] == "hashes[0]"
    assert client.post(f"{BANKS}/missing/enable", headers=analyst).status_code == 404
    half_flood = client.post(BANKS, json={"name": "x", "flood_limit": 3}, headers=analyst)
    assert half_flood.status_code == 422 and half_flood.json()["error"]["details"][0]["path"] == "flood_window_seconds"


def test_reviewers_may_not_read_or_change_hash_banks(
    client: TestClient, reviewer: dict[str, str], analyst: dict[str, str]
) -> None:
    assert client.get(BANKS, headers=reviewer).status_code == 403
    assert client.post(BANKS, json={"name": "x"}, headers=reviewer).status_code == 403
    assert client.post(LOOKUP, json={"hashes": [A]}, headers=reviewer).status_code == 403
    assert client.get("/api/v1/hash/matches", headers=reviewer).status_code == 403
    assert client.get(BANKS).status_code == 401
    assert client.get("/api/v1/hash/matches", headers=analyst).json() == []
