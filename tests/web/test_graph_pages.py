"""The entity graph page: empty and error states, hostile values shown as text, access, the vis-network files
served from the installed package, the actor page's link; and in Chromium, the graph drawn, a node clicked
and expanded from, and the table twin kept in step."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer, make_user
from tests.web.people import add_user, log_in

HOSTILE = "<script>alert(1)</script>"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _seed(database: Database) -> None:
    """A ring: acct-1 and acct-2 on one device, acct-2 and acct-3 on one card, acct-3 and acct-4 on a phone."""
    actors = [
        ("acct-1", {"device_id": "dev-ring", "urls": [f"https://evil.example/{HOSTILE}"]}),
        ("acct-2", {"device_id": "dev-ring", "payment_fingerprint": "pay-1"}),
        ("acct-3", {"payment_fingerprint": "pay-1", "phone": "+1 555 0100"}),
        ("acct-4", {"phone": "+1 555 0100"}),
    ]
    records = [{"id": i, "created_at": NOW.isoformat(), "attributes": a} for i, a in actors]
    with database.transaction() as session:
        ingest(session, IngestKind.ACTORS, records, principal="t", now=NOW)


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def test_empty_error_and_hostile_values(client: TestClient, database: Database, clock: FrozenClock) -> None:
    _seed(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    empty = client.get("/investigate/graph", headers=ines)
    assert empty.status_code == 200 and "Enter an actor" in empty.text
    assert 'href="/investigate/graph" aria-current="page"' in empty.text  # the navigation entry
    bad = client.get("/investigate/graph", params={"subject": "acct-1"}, headers=ines)
    assert bad.status_code == 422 and "must be actor:&lt;platform id&gt;" in bad.text
    missing = client.get("/investigate/graph", params={"subject": "actor:nobody"}, headers=ines)
    assert missing.status_code == 404 and "no actor nobody" in missing.text
    window = client.get("/investigate/graph", params={"subject": "actor:acct-1", "since": "1 May"}, headers=ines)
    assert window.status_code == 422 and "must be a date" in window.text
    shown = client.get("/investigate/graph", params={"subject": "actor:acct-1"}, headers=ines)
    assert shown.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text and "<script>alert(1)" not in shown.text
    assert 'data-node="actor:acct-2"' in shown.text and 'data-node="device:dev-ring"' in shown.text
    twin = client.get("/investigate/graph/data", params={"subject": "actor:acct-2"}, headers=ines).json()
    assert {n["id"] for n in twin["nodes"]} >= {"actor:acct-1", "actor:acct-3", "payment:pay-1"}
    with database.transaction() as session:
        assert audit_log.search(session, audit_log.AuditFilters(action="graph.viewed")).total == 2


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER])
def test_reviewers_are_refused(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    _seed(database)
    headers = _key(database, clock, "rev", role)
    for path in ("/investigate/graph", "/investigate/graph/data", "/investigate/graph/vis/vis-network.min.js"):
        assert client.get(path, params={"subject": "actor:acct-1"}, headers=headers).status_code == 403, path
    actor = client.get("/actors/acct-1", headers=headers)
    assert "/investigate/graph" not in actor.text


def test_vis_network_is_served_from_the_package(client: TestClient, database: Database, clock: FrozenClock) -> None:
    _seed(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    script = client.get("/investigate/graph/vis/vis-network.min.js", headers=ines)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"vis-network" in script.content[:200] and len(script.content) > 100_000
    style = client.get("/investigate/graph/vis/vis-network.css", headers=ines)
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert client.get("/investigate/graph/vis/..%2Fsetup.py", headers=ines).status_code == 404
    actor = client.get("/actors/acct-1", headers=ines)
    assert 'href="/investigate/graph?subject=actor:acct-1"' in actor.text


def _screenshot(page: Page, name: str) -> None:
    """Kept for people to look at when BASTION_SCREENSHOTS names a folder."""
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        page.screenshot(path=Path(folder) / name, full_page=True)


@pytest.mark.browser
def test_the_graph_draws_selects_expands_and_the_table_follows(page: Page, live_server: LiveServer) -> None:
    _seed(live_server.context.database)
    add_user(live_server, "ines", Role.INVESTIGATOR)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server, "ines", "/actors/acct-1")
    page.locator('main a[href^="/investigate/graph?subject="]').click()  # the actor page links its graph
    canvas = page.locator("#graph-canvas")
    expect(canvas).to_have_attribute("data-drawn", "5")  # acct-1, its device, its link and domain, acct-2
    expect(page.locator("#graph-canvas canvas")).to_have_count(1)
    expect(page.locator("#node-table tbody tr")).to_have_count(5)
    expect(page.locator("#graph-canvas")).to_have_attribute("data-stable", "true", timeout=15_000)
    # a click on the canvas where vis-network drew acct-2 selects it
    box = page.evaluate(
        "() => window.__graph.canvasToDOM(window.__graph.getPositions(['actor:acct-2'])['actor:acct-2'])"
    )
    page.locator("#graph-canvas canvas").click(position={"x": box["x"], "y": box["y"]})
    expect(canvas).to_have_attribute("data-selected", "actor:acct-2")
    expect(page.locator("#selection-facts")).to_contain_text("acct-2")
    _screenshot(page, "graph-selected.png")
    page.locator("#expand-node").click()  # from acct-2: its card, and acct-3 who pays with it
    expect(canvas).to_have_attribute("data-expanded", "1")
    expect(page.locator('#node-table tr[data-node="actor:acct-3"]')).to_have_count(1)
    expect(page.locator('#edge-table tr[data-edge="actor:acct-3|payment:pay-1"]')).to_have_count(1)
    assert page.evaluate("() => window.__graph.body.data.nodes.length") == page.locator("#node-table tbody tr").count()
    # from the table, by keyboard: expand acct-3, which brings its phone and acct-4
    page.locator('#node-table tr[data-node="actor:acct-3"] button.row-expand').focus()
    page.keyboard.press("Enter")
    expect(page.locator('#node-table tr[data-node="actor:acct-4"]')).to_have_count(1)
    page.fill("input[data-filter=node-table]", "phone")
    expect(page.locator("#node-table tbody tr:not(.hidden)")).to_have_count(1)
    page.fill("input[data-filter=node-table]", "")
    _screenshot(page, "graph-expanded.png")
    assert errors == []
