"""The API's contract and its edges: the OpenAPI document, bounded ids, nesting, words, nothing half-done."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, Event, Job
from tests.conftest import api_key, bearer, make_user

TOO_BIG = 2**63  # one past what a 64-bit id column holds


def _keys(database: Database, clock: FrozenClock) -> dict[str, dict[str, str]]:
    make_user(database, clock, "ada", Role.ADMIN)
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    return {
        "admin": bearer(api_key(database, clock, user="ada")),
        "rita": bearer(api_key(database, clock, user="rita")),
        "platform": bearer(api_key(database, clock, role=Role.PLATFORM)),
    }


def _seed_job(client: TestClient, platform: dict[str, str]) -> None:
    actor = {"id": "a1", "created_at": "2025-01-01T00:00:00Z", "attributes": {"followers": 3}}
    post = {"id": "c1", "actor_id": "a1", "type": "post", "text": "t", "language": "en"}
    report = {"id": "r1", "target": {"content_id": "c1"}, "reason": "spam", "created_at": "2026-11-01T11:00:00Z"}
    client.post("/api/v1/actors", json=actor, headers=platform).raise_for_status()
    client.post(
        "/api/v1/content", json=post | {"created_at": "2026-11-01T10:00:00Z"}, headers=platform
    ).raise_for_status()
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def _audit(database: Database, action: str) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)))


def test_the_openapi_document_has_no_dangling_reference_and_types_every_answer(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs <= set(document["components"]["schemas"])
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's shape is never sent
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            content = responses["200"]["content"]
            if "application/zip" in content:  # a download (an evidence package): typed as binary
                assert content["application/zip"]["schema"] == {"type": "string", "format": "binary"}
            else:
                ok = content["application/json"]["schema"]
                assert ok.get("$ref") or ok.get("items"), f"{method} {path} does not describe its answer"
            if path != "/api/v1/health":
                for status in ("401", "403", "422", "429"):
                    assert status in responses, f"{method} {path} leaves {status} undocumented"
                error = responses["403"]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorBody"}


# Every id taken from a path or a body, as the API and the pages name it, with who may call it.
ID_ENDPOINTS = [
    ("rita", "GET", "/api/v1/jobs/{id}"),
    *[("rita", "POST", f"/api/v1/jobs/{{id}}/{verb}") for verb in ("heartbeat", "release", "resume")],
    ("rita", "POST", "/api/v1/jobs/{id}/decision"),
    ("rita", "POST", "/api/v1/jobs/{id}/skip"),
    ("rita", "POST", "/api/v1/jobs/{id}/escalate"),
    ("rita", "POST", "/api/v1/jobs/{id}/hold"),
    ("rita", "POST", "/api/v1/jobs/{id}/reassign"),
    ("admin", "POST", "/api/v1/actions/{id}/restore"),
    ("admin", "POST", "/api/v1/webhooks/deliveries/{id}/replay"),
    ("rita", "GET", "/review/jobs/{id}"),
    *[("rita", "POST", f"/review/jobs/{{id}}/{verb}") for verb in ("decision", "skip", "escalate", "hold", "release")],
    ("admin", "POST", "/admin/webhooks/{id}/replay"),
]
BODIES = {"decision": {"policy": "spam"}, "reassign": {"reviewer": "rita"}, "escalate": {"note": "n"}}


@pytest.mark.parametrize("number", [TOO_BIG, 0, -1])
def test_ids_outside_the_64_bit_range_are_422_never_500(
    client: TestClient, database: Database, clock: FrozenClock, number: int
) -> None:
    keys = _keys(database, clock)
    for who, method, template in ID_ENDPOINTS:
        path = template.format(id=number)
        body = BODIES.get(path.rsplit("/", 1)[-1], {}) if path.startswith("/api/") else None
        answer = client.request(method, path, headers=keys[who], json=body)
        assert answer.status_code == 422, f"{method} {path}: {answer.status_code}"
        if path.startswith("/api/"):
            [detail] = answer.json()["error"]["details"]
            assert detail["path"].startswith("path.")
    appeal = {"id": "ap", "action_id": TOO_BIG, "created_at": "2026-11-02T10:00:00Z"}
    answer = client.post("/api/v1/appeals", json=appeal, headers=keys["platform"])
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [
        {"path": "action_id", "message": "must be less than or equal to 9223372036854775807"}
    ]
    for kind, item in (
        ("views", {"id": "v", "content_id": "c", "viewed_at": "2026-11-02T10:00:00Z", "weight": TOO_BIG}),
        (
            "content",
            {"id": "c", "actor_id": "a", "type": "post", "created_at": "2026-11-02T10:00:00Z", "views": TOO_BIG},
        ),
    ):
        answer = client.post(f"/api/v1/{kind}", json=item, headers=keys["platform"])
        assert answer.status_code == 422 and answer.json()["error"]["details"][0]["path"] in ("weight", "views")


def test_json_nested_too_deeply_is_422(client: TestClient, database: Database, clock: FrozenClock) -> None:
    keys = _keys(database, clock)
    for path, who in (("/api/v1/jobs/1/decision", "rita"), ("/api/v1/actors", "platform")):
        for depth in (65, 100_000):  # past the limit; past what Python's parser can follow
            raw = "[" * depth + "]" * depth
            headers = keys[who] | {"Content-Type": "application/json"}
            answer = client.post(path, content=raw, headers=headers)
            assert answer.status_code == 422, (path, depth, answer.text)
            assert answer.json()["error"]["message"] == "the body is nested too deeply"
    actor = {
        "id": "deep",
        "created_at": "2025-01-01T00:00:00Z",
        "attributes": json.loads('{"k":' * 40 + "1" + "}" * 40),
    }
    answer = client.post("/api/v1/actors", json=actor, headers=keys["platform"])
    assert answer.status_code == 422
    assert answer.json()["items"][0]["errors"] == [
        {"path": "attributes", "message": "must not nest objects and lists more than 32 levels deep"}
    ]


@pytest.mark.parametrize(
    ("raw", "message", "detail"),
    [
        ('{"policy": NaN}', "the body is not JSON", "not valid JSON: NaN is not a JSON number"),
        ('{"policy": "a\\u0000b"}', "the body holds text that cannot be stored", "a string must not contain"),
        ('{"policy": "spam", "seconds_spent": "soon"}', "the request is not valid", "must be a number"),
        ("{", "the body is not JSON", "not valid JSON: Expecting property name"),
    ],
)
def test_bad_bodies_are_422_in_bastions_words(
    client: TestClient, database: Database, clock: FrozenClock, raw: str, message: str, detail: str
) -> None:
    keys = _keys(database, clock)
    headers = keys["rita"] | {"Content-Type": "application/json"}
    answer = client.post("/api/v1/jobs/1/decision", content=raw, headers=headers)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["message"] == message and error["details"][0]["message"].startswith(detail)


def test_wrong_types_and_parameters_are_refused_as_the_docs_say(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    keys = _keys(database, clock)
    blurred = client.put("/api/v1/review/preferences", json={"blur_images": "yes"}, headers=keys["rita"])
    assert blurred.status_code == 422
    assert blurred.json()["error"]["details"] == [{"path": "blur_images", "message": "must be true or false"}]
    abc = client.get("/api/v1/jobs/abc", headers=keys["rita"]).json()["error"]["details"]
    assert abc == [{"path": "path.job_id", "message": "must be a whole number"}]
    page = client.get("/review/jobs/abc", headers=keys["rita"])
    assert page.status_code == 422 and "must be a whole number" in page.text and "Input should" not in page.text
    twice = client.get("/api/v1/decisions?limit=5&limit=500", headers=keys["admin"])
    assert twice.status_code == 422
    assert twice.json()["error"]["details"] == [{"path": "query.limit", "message": "give it once"}]
    nul = client.get("/api/v1/decisions", params={"queue": "a\x00"}, headers=keys["admin"])
    assert nul.status_code == 422 and nul.json()["error"]["details"][0]["path"] == "query.queue"
    nowhere = client.get("/api/v1/nowhere", headers=keys["admin"]).json()["error"]
    assert nowhere == {"code": "not_found", "message": "no such page or endpoint: /api/v1/nowhere", "details": []}


def test_a_claim_whose_answer_cannot_be_written_changes_nothing(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    """Data stored before today's checks (a NaN in the actor's attributes on SQLite, a NaN priority on
    PostgreSQL, whose JSON refuses NaN) makes the job's JSON unwritable: the claim must roll back."""
    keys = _keys(database, clock)
    _seed_job(client, keys["platform"])
    with database.transaction() as session:
        if database.dialect == "sqlite":
            session.execute(text("UPDATE actors SET attributes = '{\"score\": NaN}'"))
        else:
            session.execute(update(Job).values(priority=float("nan")))
    answer = client.post("/api/v1/queues/scams-spam/claim", headers=keys["rita"])
    assert answer.status_code == 500
    assert answer.json()["error"]["message"] == "something went wrong on our side; nothing was changed"
    with database.transaction() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == "open" and job.lease_owner is None
        assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "job.claimed")) == 0
    assert _audit(database, "job.claim") == 0 and _audit(database, "job.view") == 0


def test_each_view_of_a_job_is_audited_once_by_the_service(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    keys = _keys(database, clock)
    _seed_job(client, keys["platform"])
    job: dict[str, Any] = client.post("/api/v1/queues/scams-spam/claim", headers=keys["rita"]).json()
    assert _audit(database, "job.claim") == 1 and _audit(database, "job.view") == 1  # the claim's answer shows it
    client.get(f"/api/v1/jobs/{job['id']}", headers=keys["rita"]).raise_for_status()
    assert _audit(database, "job.view") == 2
    client.get(f"/review/jobs/{job['id']}", headers=keys["rita"]).raise_for_status()
    assert _audit(database, "job.view") == 3
