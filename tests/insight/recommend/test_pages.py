"""The recommendation pages: the ranked list, one recommendation with its chart and evidence (hostile
text escaped), the act button for analysts only, and the page in Chromium."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.domain.insight import TrendKind
from bastion.http.context import AppContext
from bastion.store.database import Database
from bastion.store.schema.insight import TrendAlert
from tests.conftest import PASSWORD, LiveServer, make_user
from tests.insight.recommend.decided import decided_posts
from tests.web.people import add_user, log_in

LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE = "<script>alert(1)</script>"
KEY = "add_term--en:-script-alert-1-script"


RULE = """
rules:
  - name: deals
    description: Posts about deals
    owner: spam-team
    mode: live
    policy: spam
    when: 'content.text.contains("deal")'
    then:
      - enqueue: {queue: general, priority: 0.5}
"""


def _term_alert(database: Database, clock: FrozenClock) -> None:
    """An emerging term that is a script: two days ago, in three posts found violating."""
    at = clock() - timedelta(days=2)
    texts = [f"deal {HOSTILE}", f"{HOSTILE} deal", f"a deal: {HOSTILE}"]
    decided_posts(database, clock, rules=RULE, texts=texts, violating=3, posted=at + timedelta(hours=1))
    with database.transaction() as session:
        session.add(
            TrendAlert(
                kind=TrendKind.EMERGING_TERM.value,
                metric="term",
                segment_key=f"language=en|term={HOSTILE}",
                segment={"language": "en", "term": HOSTILE},
                at=at,
                score=0.95,
                evidence={"recent_documents": 3, "baseline_documents": 0},
                detected_at=clock(),
            )
        )


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


def test_an_empty_store_says_so(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _log_in(web, sqlite_database, clock, "ines", Role.INVESTIGATOR)
    page = web.get("/insight/recommendations")
    assert page.status_code == 200
    assert "No recommendation: nothing in the last 14 days stands out." in page.text


def test_the_list_and_the_page_escape_content(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _term_alert(sqlite_database, clock)
    _log_in(web, sqlite_database, clock, "ines", Role.INVESTIGATOR)
    listed = web.get("/insight/recommendations")
    assert listed.status_code == 200
    assert HOSTILE not in listed.text and "&lt;script&gt;" in listed.text
    page = web.get(f"/insight/recommendations/{KEY}")
    assert page.status_code == 200
    assert HOSTILE not in page.text
    assert "<svg" in page.text  # the evidence chart, drawn on the server
    assert "analysts and admins can do it" in page.text  # an investigator sees no button
    token = CSRF.search(page.text)
    assert token is not None  # with the right CSRF token, the permission is what refuses
    assert web.post(f"/insight/recommendations/{KEY}/act", data={"csrf_token": token.group(1)}).status_code == 403
    assert web.get("/insight/recommendations/add_term--nothing").status_code == 404


def test_a_reviewer_cannot_see_recommendations(web: TestClient, sqlite_database: Database, clock: FrozenClock) -> None:
    _log_in(web, sqlite_database, clock, "rita", Role.REVIEWER)
    assert web.get("/insight/recommendations").status_code == 403


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_an_analyst_acts_from_the_page_in_chromium(page: Page, live_server: LiveServer) -> None:
    clock = live_server.context.clock
    assert isinstance(clock, FrozenClock)
    _term_alert(live_server.context.database, clock)
    add_user(live_server, "ana", Role.ANALYST)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, "ana", "/insight/recommendations")
    expect(page.locator("#recommendations")).to_contain_text(HOSTILE)
    _shot(page, "insight-recommendations")
    page.locator("#recommendations a").first.click()
    expect(page.locator("#impact")).to_have_text("10.5")  # 3 violating items in 2 days
    _shot(page, "insight-recommendation")
    page.get_by_role("button", name=re.compile("to the emerging_terms bank")).click()
    expect(page.get_by_role("status")).to_contain_text("bank emerging_terms")
    expect(page.locator("#act")).to_contain_text("Acted on by user:ana")
    assert problems == []
