"""The quality pages: overview, scorecards, the policy view; who may see what; hostile content escaped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.auth.users import find_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.review import claims
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer, make_user
from tests.quality.reports import HOSTILE, serve_hand_report
from tests.quality.store_ratings import spam_reported
from tests.web.people import add_user, log_in


def _app_state(client: TestClient) -> object:
    return getattr(client.app, "state")  # noqa: B009 - the app is typed as any ASGI callable


def _server_state(server: LiveServer) -> object:
    return getattr(server.server.config.app, "state")  # noqa: B009


def test_the_overview_shows_agreement_flags_with_evidence_and_thin_data(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    serve_hand_report(_app_state(client), database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/quality", headers=analyst)
    assert page.status_code == 200, page.text
    assert "0.412" in page.text and "0.401" in page.text and "70.0%" in page.text
    flagged = page.text.split('id="flagged"')[1].split("</section>")[0]
    assert 'Reviewer <a href="/quality/reviewers/bo">bo</a> (acme): 10 of 40 right' in flagged
    assert "weakest on spam." in flagged  # hate: 8 scored, too few to flag
    assert "cy (30 more needed)" in flagged
    assert "ana" not in flagged


def test_a_reviewer_scorecard_escapes_the_content_of_disagreements(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    serve_hand_report(_app_state(client), database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/quality/reviewers/bo", headers=analyst)
    assert page.status_code == 200, page.text
    assert HOSTILE not in page.text and "&lt;script&gt;alert(" in page.text
    assert "post-&lt;i&gt;1&lt;/i&gt;" in page.text
    assert "<svg" in page.text  # the drift chart
    assert client.get("/quality/reviewers/nobody", headers=analyst).status_code == 404


def test_a_reviewer_sees_their_own_scorecard_and_no_one_elses(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    serve_hand_report(_app_state(client), database, clock)
    make_user(database, clock, "bo", Role.VENDOR_REVIEWER, vendor="acme")
    bo = bearer(api_key(database, clock, user="bo"))
    assert client.get("/quality/reviewers/ana", headers=bo).status_code == 403
    assert client.get("/quality", headers=bo).status_code == 403
    assert client.get("/quality/vendors/acme", headers=bo).status_code == 403
    mine = client.get("/quality/me", headers=bo)
    assert mine.status_code == 200 and "My quality" in mine.text and "10 of 40" in mine.text
    assert client.get("/quality/reviewers/bo", headers=bo).status_code == 200


def test_the_vendor_scorecard_and_the_policy_view(client: TestClient, database: Database, clock: FrozenClock) -> None:
    serve_hand_report(_app_state(client), database, clock)
    qa = bearer(api_key(database, clock, role=Role.QA))
    vendor = client.get("/quality/vendors/acme", headers=qa)
    assert vendor.status_code == 200
    assert vendor.text.count('href="/quality/reviewers/') == 2  # bo and cy, not ana
    policies = client.get("/quality/policies", headers=qa)
    assert policies.status_code == 200
    assert policies.text.count("<svg") == 2  # the pairs and the matrix
    assert "51.0%" in policies.text


def test_a_bad_since_filter_is_named(client: TestClient, database: Database, clock: FrozenClock) -> None:
    serve_hand_report(_app_state(client), database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/quality?since=yesterday", headers=analyst)
    assert page.status_code == 422
    assert "since" in page.text and "is not a day like 2026-11-30" in page.text


@pytest.mark.browser
def test_in_a_browser_an_analyst_opens_the_overview_a_scorecard_and_the_policy_view(
    page: Page, live_server: LiveServer
) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    serve_hand_report(_server_state(live_server), database, clock)
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/quality")
    expect(page.locator("nav").get_by_role("link", name="Quality")).to_have_attribute("aria-current", "page")
    expect(page.locator("#alpha")).to_have_text("0.412")
    rows = page.locator("#quality-reviewers tbody tr")
    expect(rows).to_have_count(3)
    page.fill("input[data-filter=quality-reviewers]", "acme")
    expect(page.locator("#quality-reviewers tbody tr:visible")).to_have_count(2)
    page.screenshot(path="test-results/quality.png", full_page=True)
    page.locator("#flagged").get_by_role("link", name="bo").click()
    expect(page.locator("h1")).to_have_text("Reviewer bo")
    expect(page.locator("#reviewer-disagreements .example-text")).to_have_text(HOSTILE)  # shown as text, not run
    page.screenshot(path="test-results/quality-reviewer.png", full_page=True)
    page.goto(live_server.url + "/quality/policies")
    expect(page.locator("#pairs svg")).to_have_count(1)
    expect(page.locator("#confusion svg")).to_have_count(1)
    page.screenshot(path="test-results/quality-policies.png", full_page=True)
    page.goto(live_server.url + "/quality/vendors/acme")
    expect(page.locator("#vendor-reviewers tbody tr")).to_have_count(2)
    page.screenshot(path="test-results/quality-vendor.png", full_page=True)


@pytest.mark.browser
def test_in_a_browser_a_reviewer_sees_only_their_own_scorecard(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    serve_hand_report(_server_state(live_server), database, clock)
    add_user(live_server, "cy", Role.VENDOR_REVIEWER, vendor="acme")
    log_in(page, live_server, "cy", "/quality/me")
    expect(page.locator("h1")).to_have_text("My quality")
    expect(page.locator("nav")).not_to_contain_text("Quality\n")
    expect(page.locator("#accuracy")).to_have_text("50%")
    expect(page.get_by_text("30 more needed")).to_be_visible()
    page.screenshot(path="test-results/quality-me.png", full_page=True)
    response = page.goto(live_server.url + "/quality/reviewers/bo")
    assert response is not None and response.status == 403


def test_the_scorecards_json_twins(client: TestClient, database: Database, clock: FrozenClock) -> None:
    report = serve_hand_report(_app_state(client), database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    card = client.get("/api/v1/quality/reviewers/bo", headers=analyst)
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["reviewer"]["key"] == "bo" and body["reviewer"]["flagged"] is True
    assert body["reviewer"]["accuracy_low"] == report.reviewers[1].accuracy_low
    assert body["examples"][0]["text"] == HOSTILE  # JSON carries the text as data; pages escape it
    assert [e["source"] for e in body["examples"]] == ["qa"]  # calibration answers are compared elsewhere
    assert len(body["drift"]) == 8
    vendor = client.get("/api/v1/quality/vendors/acme", headers=analyst).json()
    assert [r["key"] for r in vendor["reviewers"]] == ["bo", "cy"]
    spam = next(p for p in vendor["policies"] if p["key"] == "spam")
    assert (spam["scored"], spam["correct"]) == (38, 9)  # bo's 6/32 and cy's 3/6 together
    make_user(database, clock, "cy", Role.REVIEWER)
    cy = bearer(api_key(database, clock, user="cy"))
    assert client.get("/api/v1/quality/reviewers/bo", headers=cy).status_code == 403
    assert client.get("/api/v1/quality/vendors/acme", headers=cy).status_code == 403
    mine = client.get("/api/v1/quality/me", headers=cy)
    assert mine.status_code == 200 and mine.json()["reviewer"]["needed"] == 30


def test_the_supervisor_sees_accuracy_beside_decisions_per_reviewer(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    now = clock()
    spam_reported(database, now, 3)
    for name in ("ana", "bo", "dan"):
        make_user(database, clock, name, Role.REVIEWER)
        with database.transaction() as session:
            reviewer = principal_of(find_user(session, name), via="session")
            job = claims.claim_next_job(session, "scams-spam", reviewer, now=now)
            assert job is not None
            decide(session, job.pk, reviewer, Choice("spam", "remove"), now=now)
    serve_hand_report(_app_state(client), database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/review/supervisor", headers=analyst)
    assert page.status_code == 200, page.text
    table = page.text.split('id="supervisor-reviewers"')[1].split("</table>")[0]
    rows = {row.split("<td>")[1].split("</td>")[0]: row for row in table.split("<tr>")[2:]}
    assert 'href="/quality/reviewers/ana"' in rows["ana"] and ">90%</a>" in rows["ana"]
    assert ">25%</a>" in rows["bo"] and "flagged" in rows["bo"] and "a number bad" not in rows["ana"]
    assert "none of their decisions is scored" in rows["dan"]  # decided, but not in the report
