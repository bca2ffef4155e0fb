"""A calibration exercise in a real browser: a QA lead creates it, two reviewers answer it blind, the lead
records the discussion and closes it, and the reviewers then see the comparison."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer, make_user
from tests.quality.test_calibration import HOSTILE, content
from tests.web.people import add_user, log_in


def test_the_api_creates_answers_and_compares(client: TestClient, database: Database, clock: FrozenClock) -> None:
    ids = content(database, clock, 2)
    for name in ("ana", "bo"):
        make_user(database, clock, name, Role.REVIEWER)
    lead = bearer(api_key(database, clock, role=Role.QA))
    ana, bo = (bearer(api_key(database, clock, user=n)) for n in ("ana", "bo"))
    bad = client.post(
        "/api/v1/quality/calibration", json={"name": "x", "group": "nobody", "content_ids": ids}, headers=lead
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "group"
    created = client.post(
        "/api/v1/quality/calibration", json={"name": "Links", "group": "users:ana,bo", "content_ids": ids}, headers=lead
    )
    assert created.status_code == 200, created.text
    exercise = created.json()["exercise"]["id"]
    assert (
        client.post("/api/v1/quality/calibration", json={"name": "x", "group": "users:ana"}, headers=ana).status_code
        == 403
    )
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    assert client.get("/api/v1/quality/calibration", headers=platform).status_code == 403
    assert client.get(f"/api/v1/quality/calibration/{exercise}", headers=platform).status_code == 403
    first = client.post(
        f"/api/v1/quality/calibration/{exercise}/answers", json={"answers": {"1": "none", "2": "none"}}, headers=ana
    )
    assert first.status_code == 200, first.text
    assert [i["mine"] for i in first.json()["items"]] == ["none", "none"]
    client.post(
        f"/api/v1/quality/calibration/{exercise}/answers", json={"answers": {"1": "none", "2": "spam"}}, headers=bo
    )
    hidden = client.get(f"/api/v1/quality/calibration/{exercise}", headers=bo).json()
    assert hidden["comparable"] is False and all(i["answers"] == [] for i in hidden["items"])
    closed = client.post(f"/api/v1/quality/calibration/{exercise}/close", headers=lead)
    assert closed.status_code == 200 and closed.json()["exercise"]["status"] == "closed"
    seen = client.get(f"/api/v1/quality/calibration/{exercise}", headers=bo).json()
    assert seen["items"][0]["distribution"] == {"none": 2}
    assert seen["agreement"]["percent_agreement"] == 0.5
    again = client.post(f"/api/v1/quality/calibration/{exercise}/answers", json={"answers": {"1": "spam"}}, headers=bo)
    assert again.status_code == 409


@pytest.mark.browser
def test_in_a_browser_two_reviewers_answer_blind_and_then_see_the_comparison(
    page: Page, live_server: LiveServer
) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    ids = content(database, clock, 3)
    add_user(live_server, "lead", Role.QA)
    for name in ("ana", "bo"):
        add_user(live_server, name, Role.VENDOR_REVIEWER, vendor="acme")

    log_in(page, live_server, "lead", "/quality/calibration")
    expect(page.locator(".empty")).to_contain_text("No calibration exercise yet")
    page.fill("input[name=name]", "Links in posts")
    page.fill("input[name=group]", "vendor:acme")
    page.fill("textarea[name=content_ids]", "\n".join(ids))
    page.get_by_role("button", name="Create the exercise").click()
    expect(page.locator("h1")).to_have_text("Links in posts")
    exercise_url = page.url
    page.context.clear_cookies()

    for name, answers in (("ana", ["spam", "spam", "none"]), ("bo", ["spam", "none", "none"])):
        log_in(page, live_server, name, exercise_url.removeprefix(live_server.url))
        expect(page.locator(".content-text").first).to_have_text(f"{HOSTILE} {ids[0]}")  # escaped, shown as text
        expect(page.locator(".answers")).to_have_count(0)  # nobody's answers before it closes
        for position, label in enumerate(answers, start=1):
            page.select_option(f"select[name=item-{position}]", label)
        page.get_by_role("button", name="Save my answers").click()
        expect(page.get_by_role("status")).to_contain_text("Your answers are saved")
        expect(page.locator(".answers")).to_have_count(0)
        if name == "bo":
            page.screenshot(path="test-results/quality-calibration-open.png", full_page=True)
        page.context.clear_cookies()

    log_in(page, live_server, "lead", exercise_url.removeprefix(live_server.url))
    expect(page.locator("#item-2 .answers")).to_contain_text("none: 1")
    page.fill("#note-form textarea[name=text]", "Item 2: a bare link is not spam by itself.")
    page.select_option("#note-form select[name=position]", "2")
    page.get_by_role("button", name="Record the note").click()
    page.get_by_role("button", name="Close and compare").click()
    expect(page.locator("#status")).to_have_text("closed")
    page.context.clear_cookies()

    log_in(page, live_server, "ana", exercise_url.removeprefix(live_server.url))
    expect(page.locator("#item-1 .answers")).to_have_text("spam: 2")
    expect(page.locator("#item-2 .answers")).to_contain_text("spam: 1")
    expect(page.locator("#item-2")).to_contain_text("a bare link is not spam by itself")
    expect(page.locator("#percent")).to_have_text("66.7%")
    expect(page.get_by_role("button", name="Save my answers")).to_have_count(0)
    page.screenshot(path="test-results/quality-calibration-closed.png", full_page=True)
