"""The trends page: its empty state, alerts with their evidence and charts, the week against the last,
and in a real browser."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.insight.trends.alerts import run_trends
from bastion.store.database import Database
from bastion.store.schema import ContentItem
from tests.conftest import LiveServer, api_key, bearer
from tests.insight.trends.planted import TERM, plant
from tests.web.people import add_user, log_in


def test_the_empty_page_says_how_to_scan(client: TestClient, database: Database, clock: FrozenClock) -> None:
    page = client.get("/insight/trends", headers=bearer(api_key(database, clock, role=Role.ANALYST)))
    assert page.status_code == 200
    assert "No trend alerts." in page.text and "bastion trends run" in page.text
    assert "Nothing reported or found violating in the last two weeks." in page.text
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    assert client.get("/insight/trends", headers=reviewer).status_code == 403


def test_alerts_show_their_evidence_a_chart_and_hostile_text_escaped(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    planted = plant(database, clock())
    with database.transaction() as session:  # a post whose words would be markup if not escaped
        for item in session.query(ContentItem).filter(ContentItem.text.contains(TERM)).limit(3):
            item.text = item.text + " <script>alert(1)</script>"
    run_trends(database, now=clock(), since=planted.start)
    page = client.get("/insight/trends", headers=bearer(api_key(database, clock, role=Role.ANALYST)))
    assert page.status_code == 200
    assert "country=BR" in page.text and "policy=spam" in page.text
    assert f"term={TERM}" in page.text and "recent documents" in page.text
    assert page.text.count("<svg") >= 1 and "<script>alert" not in page.text
    assert 'id="trend-changes"' in page.text
    only_terms = client.get(
        "/insight/trends?kind=emerging_term", headers=bearer(api_key(database, clock, role=Role.ANALYST))
    )
    assert "policy=spam" not in only_terms.text.split('id="period-over-period"')[0]


@pytest.mark.browser
def test_in_a_browser_an_analyst_sees_the_alerts(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    planted = plant(database, clock())
    run_trends(database, now=clock(), since=planted.start)
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/insight/trends")
    expect(page.locator("nav")).to_contain_text("Trends")
    rows = page.locator("#trend-alerts tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#trend-alerts")).to_contain_text(TERM)
    expect(page.locator("#trend-alerts svg").first).to_be_visible()
    page.screenshot(path="test-results/trends.png", full_page=True)
