"""Every response carries the security headers, an unexpected 500 included, and a 500 keeps the
keep-alive connection usable: tested over real HTTP against a real server."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import Depends

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.http.security import requires
from bastion.store.database import Database
from tests.conftest import api_key, make_context

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


class Crash(Exception):
    """An error no handler knows: the kind of bug a 500 stands for."""


@pytest.fixture
def crashing_server(sqlite_database: Database, clock: FrozenClock) -> Iterator[tuple[int, str]]:
    app = create_app(make_context(sqlite_database, clock))

    def explode(_: object = Depends(requires())) -> None:
        raise Crash("content or SQL that must never reach the client")

    app.add_api_route("/api/v1/explode", explode, methods=["GET"])
    app.add_api_route("/explode", explode, methods=["GET"], include_in_schema=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, api_key(sqlite_database, clock, role=Role.ADMIN)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_unexpected_error_is_a_500_with_every_header_on_a_connection_that_stays_open(
    crashing_server: tuple[int, str],
) -> None:
    port, key = crashing_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    auth = {"Authorization": f"Bearer {key}"}
    connection.request("GET", "/api/v1/explode", headers=auth)
    crashed = connection.getresponse()
    body = json.loads(crashed.read())
    assert crashed.status == 500
    assert body["error"]["code"] == "internal_error"
    assert "must never reach" not in json.dumps(body)
    for header in SECURITY_HEADERS:
        assert crashed.getheader(header), header
    assert crashed.getheader("cache-control") == "no-store"
    assert (crashed.getheader("connection") or "").lower() != "close"

    # The same connection serves the next request.
    connection.request("GET", "/api/v1/health")
    after = connection.getresponse()
    after.read()
    assert after.status == 200
    assert all(after.getheader(header) for header in SECURITY_HEADERS)
    connection.close()


def test_a_page_500_is_bastions_page_with_the_headers(crashing_server: tuple[int, str]) -> None:
    port, key = crashing_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/explode", headers={"Authorization": f"Bearer {key}", "accept": "text/html"})
    crashed = connection.getresponse()
    page = crashed.read().decode()
    assert crashed.status == 500
    assert crashed.getheader("content-type", "").startswith("text/html")
    assert "something went wrong on our side" in page and "must never reach" not in page
    assert all(crashed.getheader(header) for header in SECURITY_HEADERS)
    connection.close()


def test_static_files_may_be_cached_and_still_carry_the_headers(crashing_server: tuple[int, str]) -> None:
    port, _ = crashing_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/static/bastion.css")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("cache-control") != "no-store"
    assert all(response.getheader(header) for header in SECURITY_HEADERS)
    connection.close()
