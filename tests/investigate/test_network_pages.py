"""Network pages: the list (empty, with the ring), one network, a case opened from it, the preview, the typed
confirmation, the result and its reversal; who may see and act; in Chromium, the whole way through."""

from __future__ import annotations

import os
import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import BulkAction, EnforcementAction
from tests.conftest import LiveServer, api_key, bearer, make_user
from tests.investigate.test_network_store import RING, _platform
from tests.web.people import add_user, log_in


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def _actions(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(BulkAction)) or 0,
            session.scalar(select(func.count()).select_from(EnforcementAction)) or 0,
        )


def test_the_list_says_when_there_are_no_networks(client: TestClient, database: Database, clock: FrozenClock) -> None:
    page = client.get("/investigate/networks", headers=_key(database, clock, "ines", Role.INVESTIGATOR))
    assert page.status_code == 200 and "No network:" in page.text
    assert 'href="/investigate/networks"' in page.text  # the navigation entry


def test_previewing_confirming_and_reversing_through_the_pages(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _platform(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    listing = client.get("/investigate/networks", headers=ines).text
    network = re.search(r'href="/investigate/networks/(network-[0-9a-f]{12})"', listing)
    assert network is not None
    path = f"/investigate/networks/{network.group(1)}"
    detail = client.get(path, headers=ines).text
    assert all(f'href="/actors/{m}"' in detail for m in RING)
    assert "/investigate/graph?subject=actor%3Aring0" in detail and "Act on this network" in detail
    preview = client.get(f"{path}/act", params={"action": "remove"}, headers=ines)
    assert preview.status_code == 200 and 'id="to-change">12<' in preview.text
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token is not None
    form = {"action": "remove", "token": token.group(1), "expected": "12", "typed": "11"}
    mistyped = client.post(f"{path}/actions", data=form, headers=ines)
    assert mistyped.status_code == 422 and "type 12" in mistyped.text
    assert _actions(database) == (0, 0)
    done = client.post(f"{path}/actions", data={**form, "typed": "12"}, headers=ines, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/investigate/bulk-actions/1"
    result = client.get("/investigate/bulk-actions/1", headers=ines).text
    assert 'id="changed">12<' in result and "Reverse: restore all 12 posts" in result
    stale = client.post(f"{path}/actions", data={**form, "typed": "12"}, headers=ines)
    assert stale.status_code == 409 and "nothing to do" in stale.text.lower()  # the fresh preview: all done
    reversed_ = client.post("/investigate/bulk-actions/1/reverse", data={"note": "x"}, headers=ines)
    assert reversed_.status_code == 200 and "every item it changed was restored" in reversed_.text
    twice = client.post("/investigate/bulk-actions/1/reverse", data={}, headers=ines)
    assert twice.status_code == 409 and "already reversed" in twice.text
    opened = client.post(f"{path}/case", data={"severity": "2"}, headers=ines, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/investigate/cases/1"


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST])
def test_other_roles_are_refused(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    _platform(database)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    other = _key(database, clock, "other", role)
    listing = client.get("/investigate/networks", headers=ines).text
    network = re.search(r'href="/investigate/networks/(network-[0-9a-f]{12})"', listing)
    assert network is not None
    path = f"/investigate/networks/{network.group(1)}"
    for method, url in (
        ("GET", "/investigate/networks"),
        ("GET", path),
        ("GET", f"{path}/act?action=ban"),
        ("POST", f"{path}/actions"),
        ("POST", f"{path}/case"),
        ("GET", "/investigate/bulk-actions/1"),
        ("POST", "/investigate/bulk-actions/1/reverse"),
    ):
        data = {"action": "ban", "token": "x", "expected": "6", "typed": "6"} if method == "POST" else None
        assert client.request(method, url, data=data, headers=other).status_code == 403, url
    assert _actions(database) == (0, 0)


@pytest.mark.browser
def test_in_a_browser_an_investigator_acts_on_a_network_and_reverses_it(page: Page, live_server: LiveServer) -> None:
    _platform(live_server.context.database)
    add_user(live_server, "ines", Role.INVESTIGATOR)
    log_in(page, live_server, "ines", "/investigate/networks")
    expect(page.locator("#networks tbody tr")).to_have_count(1)
    expect(page.locator("nav")).to_contain_text("Networks")
    shots = os.environ.get("BASTION_SCREENSHOTS")
    if shots:
        page.screenshot(path=shots + "/networks.png", full_page=True)
    page.locator("#networks tbody a").first.click()
    page.wait_for_url(re.compile(r"/investigate/networks/network-[0-9a-f]{12}$"))
    expect(page.locator("#members tbody tr")).to_have_count(6)
    if shots:
        page.screenshot(path=shots + "/network.png", full_page=True)
    page.select_option("select[name=action]", "suspend")
    page.get_by_role("button", name="Act on this network").click()
    expect(page.locator("#to-change")).to_have_text("6")
    expect(page.locator("#plan-items tbody tr")).to_have_count(6)
    page.fill("input[name=typed]", "6")
    if shots:
        page.screenshot(path=shots + "/network_preview.png", full_page=True)
    page.get_by_role("button", name="Suspend 6 accounts").click()
    page.wait_for_url(re.compile(r"/investigate/bulk-actions/\d+$"))
    expect(page.locator("#changed")).to_have_text("6")
    expect(page.locator("#bulk-items")).to_contain_text("suspend")
    if shots:
        page.screenshot(path=shots + "/network_action.png", full_page=True)
    page.get_by_role("button", name=re.compile("Reverse")).click()
    expect(page.locator("#bulk-status")).to_contain_text("every item it changed was restored")
    expect(page.locator("#bulk-items .tag-ok")).to_have_count(6)
    if shots:
        page.screenshot(path=shots + "/network_reversed.png", full_page=True)
