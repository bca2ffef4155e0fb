"""The QA plan pages: the list, one queue's plan with its form, a preview and a save, errors by field."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.http.context import AppContext
from bastion.store.database import Database
from tests.conftest import PASSWORD, LiveServer, make_user
from tests.web.people import add_user, log_in

browser = pytest.mark.browser
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _shot(page: Page, name: str) -> None:
    """A screenshot, when BASTION_SCREENSHOTS names a folder for them."""
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def web(sqlite_database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    settings = Settings(database_url=sqlite_database.url, cookie_secure=False)
    with TestClient(create_app(AppContext(database=sqlite_database, settings=settings, clock=clock))) as client:
        yield client


def _log_in(client: TestClient, database: Database, clock: FrozenClock, name: str, role: Role) -> None:
    make_user(database, clock, name, role)
    token = LOGIN_CSRF.search(client.get("/login").text)
    assert token is not None
    client.post("/login", data={"name": name, "password": PASSWORD, "login_csrf": token.group(1)})


def test_write_preview_and_save_a_plan(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _log_in(web, sqlite_database, clock, "lena", Role.QA)
    listing = web.get("/quality/plans")
    assert listing.status_code == 200 and "No plan: none of its decisions is sampled" in listing.text
    form = web.get("/quality/plans/general")
    assert "No plan yet" in form.text and "rate: 0.02" in unescape(form.text)
    token = CSRF.search(form.text)
    assert token is not None
    plan = "qa_queue: qa\nrate: 0.1\nstrata:\n  decision: {none: 0.5}\n"
    preview = web.post("/quality/plans/general/preview", data={"plan": plan, "days": "7", "csrf_token": token.group(1)})
    assert preview.status_code == 200 and "Preview: the last 7 days" in preview.text
    assert "no decisions in these days" in preview.text and "No plan yet" in preview.text  # nothing saved
    bad = web.post("/quality/plans/general", data={"plan": "rate: 3\nstrata: {mood: {}}", "csrf_token": token.group(1)})
    assert bad.status_code == 422
    text = unescape(bad.text)
    assert "<code>rate</code>: a rate is a number from 0 to 1, got 3" in text
    assert "<code>strata.mood</code>: unknown stratum" in text
    saved = web.post(
        "/quality/plans/general", data={"plan": plan, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/quality/plans/general?saved=1")
    page = web.get("/quality/plans/general?saved=1").text
    assert "Version 1 of the plan is in force" in page and "decision none: 50%" not in page
    assert "decision none: 50%" in web.get("/quality/plans").text
    assert web.get("/quality/plans/qa").status_code == 404  # a QA queue has no plan of its own


def test_an_analyst_may_preview_but_not_save(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _log_in(web, sqlite_database, clock, "ann", Role.ANALYST)
    form = web.get("/quality/plans/general")
    assert form.status_code == 200 and "Save as a new version" not in form.text
    token = CSRF.search(form.text)
    assert token is not None
    refused = web.post("/quality/plans/general", data={"plan": "rate: 0.1", "csrf_token": token.group(1)})
    assert refused.status_code == 403


def test_a_reviewer_cannot_see_the_plans(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _log_in(web, sqlite_database, clock, "rita", Role.REVIEWER)
    assert web.get("/quality/plans").status_code == 403


@browser
def test_the_plan_page_in_chromium(page: Page, live_server: LiveServer) -> None:
    add_user(live_server, "lena", Role.QA)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "lena", "/quality/plans")
    page.get_by_role("link", name="General review").click()
    page.get_by_label("The plan").fill("qa_queue: qa\nrate: 0.25\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: the last 14 days")).to_be_visible()
    _shot(page, "quality-plan")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 of the plan is in force")
    page.goto(live_server.url + "/quality/plans")
    expect(page.locator("#qa-plans")).to_contain_text("25.0%")
    _shot(page, "quality-plans")
    assert problems == []
