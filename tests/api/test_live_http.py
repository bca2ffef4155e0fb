"""Over a real socket: a uvicorn server, an HTTP client, the ingest and read round trip."""

from __future__ import annotations

import httpx

from bastion.domain.access import Role
from tests.api.test_ingest_api import actor, content
from tests.conftest import LiveServer, api_key, bearer


def test_ingest_and_read_back_over_http(live_server: LiveServer) -> None:
    context = live_server.context
    platform = bearer(api_key(context.database, context.clock, role=Role.PLATFORM))  # type: ignore[arg-type]
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        assert http.get("/api/v1/health").json()["status"] == "ok"
        assert http.post("/api/v1/actors", json=actor(0), headers=platform).status_code == 200
        batch = http.post("/api/v1/content", json={"items": [content(i) for i in range(1000)]}, headers=platform)
        assert batch.status_code == 200 and batch.json()["created"] == 1000
        read = http.get("/api/v1/content/c999", headers=platform)
        assert read.status_code == 200 and read.json()["actor_id"] == "a0"
        stranger = http.get("/api/v1/content/c999")
        assert stranger.status_code == 401
        assert stranger.headers["www-authenticate"] == "Bearer"
        page = http.get("/login")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
