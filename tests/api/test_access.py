"""Deny by default: every route needs credentials and a role, except the few public ones."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from bastion.assembly import PUBLIC_ROUTES, _refuse_unguarded_routes, api_routes, create_app
from bastion.clock import FrozenClock
from bastion.domain.access import ROLE_PERMISSIONS, Permission, Role
from bastion.errors import ConfigurationError
from bastion.store.database import Database
from tests.conftest import make_context


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in api_routes(app.routes):
        for method in sorted(route.methods or ()):
            found.append((method, re.sub(r"\{[^}]+\}", "x", route.path)))
    return found


def test_every_non_public_route_denies_a_stranger(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    checked = 0
    for method, path in _routes(app):
        if (method, path) in PUBLIC_ROUTES:
            assert path in {"/api/v1/health", "/login"}
            continue
        response = client.request(method, path, headers={"accept": "application/json"}, follow_redirects=False)
        assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
        checked += 1
    assert checked >= 8


def test_health_needs_no_credentials(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_app_refuses_to_start_with_an_unguarded_route(database: Database, clock: FrozenClock) -> None:
    app = create_app(make_context(database, clock))
    leak = APIRouter()

    @leak.get("/api/v1/leak")
    def leaky() -> dict[str, str]:
        return {"secret": "yes"}

    app.include_router(leak)
    with pytest.raises(ConfigurationError, match="GET /api/v1/leak"):
        _refuse_unguarded_routes(app)


def test_openapi_schema_is_published(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/content" in schema["paths"]
    body = schema["paths"]["/api/v1/content"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert len(body["oneOf"]) == 2


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_manage_users_and_read_the_audit_log(role: Role) -> None:
    granted = ROLE_PERMISSIONS[role]
    assert (Permission.USER_MANAGE in granted) == (role is Role.ADMIN)
    assert (Permission.AUDIT_READ in granted) == (role is Role.ADMIN)


def test_vendor_reviewers_cannot_open_arbitrary_subjects() -> None:
    assert Permission.SUBJECT_READ not in ROLE_PERMISSIONS[Role.VENDOR_REVIEWER]
    assert Permission.INGEST_WRITE not in ROLE_PERMISSIONS[Role.VENDOR_REVIEWER]


def test_a_plain_route_or_mount_cannot_slip_past_the_check(database: Database, clock: FrozenClock) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.staticfiles import StaticFiles

    app = create_app(make_context(database, clock))
    app.add_route("/api/v1/leak", lambda _request: PlainTextResponse("secret"))
    with pytest.raises(ConfigurationError, match="GET /api/v1/leak"):
        _refuse_unguarded_routes(app)
    other = create_app(make_context(database, clock))
    other.mount("/files", StaticFiles(directory="."))
    with pytest.raises(ConfigurationError, match="mount /files"):
        _refuse_unguarded_routes(other)
