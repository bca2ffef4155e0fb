"""Schemathesis over every operation of `/openapi.json`, with an admin's key and a reviewer's key.

Each operation gets a bounded number of generated requests (valid and invalid ones), sent to a store
that holds a few actors, content items and reports (so queues have jobs to claim), on SQLite and on
PostgreSQL. Every answer must be no server error, a documented status, and a body that matches its
documented schema.

One check of schemathesis is left out, `positive_data_acceptance`: a request that fits the schema may
still be refused with 422 by design, when it names an actor Bastion does not have, an unknown policy or
reviewer, or breaks a review rule (a decision without a required rationale). The schema cannot say these.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_context, make_user

EXAMPLES = 8  # per operation and run; each example is sent once with each key


def _seed(client: TestClient, platform: dict[str, str]) -> None:
    actors = [{"id": f"a{i}", "created_at": "2025-01-01T00:00:00Z", "attributes": {"n": i}} for i in range(3)]
    content = [
        {"id": f"c{i}", "actor_id": f"a{i % 3}", "type": "post", "text": f"text {i}", "language": "en"}
        | {"created_at": "2026-11-01T10:00:00Z"}
        for i in range(6)
    ]
    reasons = ("hate_speech", "spam", "harassment")
    reports = [
        {
            "id": f"r{i}",
            "target": {"content_id": f"c{i}"},
            "reason": reasons[i % 3],
            "created_at": "2026-11-01T11:00:00Z",
        }
        for i in range(6)
    ]
    for path, items in (("actors", actors), ("content", content), ("reports", reports)):
        client.post(f"/api/v1/{path}", json={"items": items}, headers=platform).raise_for_status()


def _operations(database: Database, clock: FrozenClock) -> tuple[Any, dict[str, dict[str, str]]]:
    """The app's operations, loaded by schemathesis from its own /openapi.json, and the two keys."""
    app = create_app(make_context(database, clock))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        _seed(client, bearer(api_key(database, clock, role=Role.PLATFORM)))
    make_user(database, clock, "ada", Role.ADMIN)
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    keys = {
        "admin": bearer(api_key(database, clock, user="ada")),
        "reviewer": bearer(api_key(database, clock, user="rita")),
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()], keys


def test_every_operation_answers_as_documented(database: Database, clock: FrozenClock) -> None:
    operations, keys = _operations(database, clock)
    assert len(operations) >= 26
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def answers_as_documented(case: Any) -> None:
                for headers in keys.values():
                    case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

            try:
                answers_as_documented()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong: no parameters, no body
