"""The prevalence page: its empty state, rounds with their progress, a labelled round's estimate; roles;
hostile input escaped; and the page in a real browser."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.insight.prevalence.rounds import period_of, start_round
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer
from tests.insight.prevalence.platform import labeller, make_platform
from tests.insight.prevalence.test_rounds import DAY, label_all
from tests.web.people import add_user, log_in


def _round(database: Database, clock: FrozenClock, size: int = 25) -> str:
    start, end = period_of(DAY.date(), DAY.date())
    with database.transaction() as session:
        return start_round(
            session, period_start=start, period_end=end, size=size, seed=4, principal="user:ana", now=clock()
        ).name


def test_empty_then_labelling_then_estimated(client: TestClient, database: Database, clock: FrozenClock) -> None:
    analyst = bearer(api_key(database, clock, Role.ANALYST))
    empty = client.get("/insight/prevalence", headers=analyst)
    assert empty.status_code == 200 and "No prevalence rounds yet" in empty.text
    truth = make_platform(database, DAY)
    name = _round(database, clock)
    labelling = client.get("/insight/prevalence", headers=analyst).text
    assert name in labelling and "labelling" in labelling and "0 of " in labelling
    assert "No round is fully labelled yet" in labelling
    label_all(database, labeller(database, clock()), truth, clock())
    done = client.get("/insight/prevalence", headers=analyst).text
    assert f"Estimate: {name}" in done and "hate_speech" in done and "at most" in done
    assert "too few found to estimate" in done


def test_who_may_see_it_and_hostile_input(client: TestClient, database: Database, clock: FrozenClock) -> None:
    reviewer = bearer(api_key(database, clock, Role.REVIEWER))
    assert client.get("/insight/prevalence", headers=reviewer).status_code == 403
    investigator = bearer(api_key(database, clock, Role.INVESTIGATOR))
    hostile = client.get("/insight/prevalence", params={"round": "<script>alert(1)</script>"}, headers=investigator)
    assert hostile.status_code == 404
    assert "<script>alert(1)" not in hostile.text and "&lt;script&gt;" in hostile.text


@pytest.mark.browser
def test_in_a_browser_an_analyst_reads_the_rounds_and_the_estimate(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    truth = make_platform(database, DAY)
    name = _round(database, clock, size=40)
    label_all(database, labeller(database, clock()), truth, clock())
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/insight/prevalence")
    expect(page.locator("nav").get_by_role("link", name="Prevalence")).to_have_attribute("aria-current", "page")
    expect(page.locator("#prevalence-rounds tbody tr")).to_have_count(1)
    expect(page.locator("#prevalence-rounds")).to_contain_text(name)
    every = page.locator("#prevalence-estimate tbody tr").count()
    page.fill("input[data-filter=prevalence-estimate]", "hate_speech")
    visible = page.locator("#prevalence-estimate tbody tr:visible")
    expect(visible.first).to_contain_text("hate_speech")
    assert 1 < visible.count() < every  # hate speech and the policies below it
    page.fill("input[data-filter=prevalence-estimate]", "")
    page.screenshot(path="test-results/prevalence.png", full_page=True)
