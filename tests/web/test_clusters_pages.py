"""Cluster pages: the list (empty, ordered, hostile text escaped), one cluster with its members, and the
bulk decision form with its confirmation."""

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
from bastion.store.schema import Decision
from tests.conftest import LiveServer, api_key, bearer, make_user
from tests.match.cluster_factory import make_cluster
from tests.web.people import add_user, log_in

HOSTILE = "<script>alert(1)</script> {} airdrop is LIVE, send ETH get ETH back now {}"


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role)
    return bearer(api_key(database, clock, user=name))


def test_the_list_says_when_there_are_no_clusters(client: TestClient, database: Database, clock: FrozenClock) -> None:
    page = client.get("/match/clusters", headers=_key(database, clock, "quinn", Role.QA))
    assert page.status_code == 200 and "No clusters yet." in page.text
    assert 'href="/match/clusters"' in page.text  # the navigation entry


def test_cluster_text_is_shown_as_text(client: TestClient, database: Database, clock: FrozenClock) -> None:
    cluster, _ = make_cluster(database, clock, 3, text=HOSTILE)
    headers = _key(database, clock, "quinn", Role.QA)
    for path in ("/match/clusters", f"/match/clusters/{cluster}"):
        text = client.get(path, headers=headers).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert(1)" not in text


def test_only_those_who_may_decide_see_the_form(client: TestClient, database: Database, clock: FrozenClock) -> None:
    cluster, _ = make_cluster(database, clock, 3, reported=1)
    analyst = client.get(f"/match/clusters/{cluster}", headers=_key(database, clock, "ana", Role.ANALYST)).text
    assert "Newest members" in analyst and "Decide the cluster" not in analyst
    qa = client.get(f"/match/clusters/{cluster}", headers=_key(database, clock, "quinn", Role.QA)).text
    assert "Decide the cluster" in qa and 'name="expected_members" value="3"' in qa
    assert client.get("/match/clusters", headers=_key(database, clock, "rev", Role.REVIEWER)).status_code == 403


def test_an_unconfirmed_decision_is_shown_again_and_writes_nothing(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    cluster, _ = make_cluster(database, clock, 3, reported=3)
    headers = _key(database, clock, "quinn", Role.QA)
    form = {"policy": "spam", "action": "remove", "rationale": "<b>copies</b>", "expected_members": "3"}
    refused = client.post(f"/match/clusters/{cluster}/decision", data=form, headers=headers)
    assert refused.status_code == 422
    assert "tick the box to decide all 3 members at once" in refused.text
    assert "&lt;b&gt;copies&lt;/b&gt;" in refused.text  # what was typed, kept and escaped
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    done = client.post(f"/match/clusters/{cluster}/decision", data=form | {"confirm": "true"}, headers=headers)
    assert done.status_code == 200 and "3 jobs decided" in done.text


@pytest.mark.browser
def test_in_a_browser_a_qa_lead_decides_a_cluster(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    cluster, _ = make_cluster(database, clock, 6, reported=2)
    make_cluster(database, clock, 3, prefix="d", text="Mau followers {} ribu? Gratis, cek link di bio promo {}")
    add_user(live_server, "quinn", Role.QA)
    log_in(page, live_server, "quinn", "/match/clusters")
    expect(page.locator("#cluster-table tbody tr")).to_have_count(2)
    expect(page.locator("nav")).to_contain_text("Clusters")
    page.get_by_role("link", name=str(cluster), exact=True).click()
    page.wait_for_url(re.compile(rf"/match/clusters/{cluster}$"))
    expect(page.locator("#member-table tbody tr")).to_have_count(6)
    page.select_option("select[name=policy]", "spam")
    page.select_option("select[name=action]", "remove")
    page.fill("textarea[name=rationale]", "The same airdrop scam, six times")
    page.check("input[name=confirm]")
    if os.environ.get("BASTION_SCREENSHOTS"):
        page.screenshot(path=os.environ["BASTION_SCREENSHOTS"] + "/cluster.png", full_page=True)
    page.get_by_role("button", name="Decide the cluster").click()
    expect(page.get_by_role("status")).to_contain_text("6 jobs decided")
    expect(page.locator("#member-table")).to_contain_text("decided")
