"""QA is blind: the QA reviewer's console page and API payloads of a QA job carry nothing of the decision
under review (its rationale, its reviewer, its policy, what it did to the subject), while the pages that
show that decision do show them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.http.context import AppContext
from bastion.store.database import Database
from bastion.store.schema import Decision, EnforcementAction, QaSample
from tests.conftest import PASSWORD, LiveServer, api_key, bearer
from tests.quality.qa_seed import MARKER, POLICY, decide_next, person, put_plan, seed_post
from tests.web.people import add_user, log_in

browser = pytest.mark.browser
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
REVIEWER = "ada-original-reviewer"  # a name no page would show by chance


@pytest.fixture
def web(database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    """Pages and API together; cookies without the Secure flag, so the test client sends them back."""
    settings = Settings(database_url=database.url, cookie_secure=False)
    with TestClient(create_app(AppContext(database=database, settings=settings, clock=clock))) as client:
        yield client


def _log_in(client: TestClient, name: str) -> None:
    form = client.get("/login")
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    done = client.post("/login", data={"name": name, "password": PASSWORD, "login_csrf": token.group(1)})
    assert done.status_code in (200, 303), done.text


def _without_choices(view: dict[str, Any]) -> str:
    """The payload without the list of policies any decision may name (the same for every job of the queue)."""
    return json.dumps({key: value for key, value in view.items() if key != "policies"})


def test_the_qa_job_carries_nothing_of_the_decision_under_review(
    web: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    put_plan(web, lead, rate=1.0)
    original_reviewer = person(database, clock, REVIEWER, Role.ADMIN)
    seed_post(web, platform, 1)
    seed_post(web, platform, 2)  # a job nobody decided yet: what any job of the queue shows
    original = decide_next(web, original_reviewer)
    with database.transaction() as session:
        sample = session.scalars(select(QaSample)).one()
        decision = session.get_one(Decision, sample.decision_pk)
        assert (decision.rationale, decision.policy_id, decision.action) == (MARKER, POLICY, "remove")
        assert session.scalars(select(EnforcementAction.action)).all() == ["remove"]

    _log_in(web, "lena")
    # The pages that show the decision: the subject's history, and the original job (its prior actions).
    history = web.get("/content/post-1").text
    assert MARKER in history and REVIEWER in history and POLICY in history
    original_page = web.get(f"/review/jobs/{original['job']['id']}").text
    assert POLICY in original_page and 'tag-warn">remove' in original_page

    claimed = web.post("/api/v1/queues/qa/claim", headers=lead)
    assert claimed.status_code == 200 and claimed.json()["id"] == sample.job_pk
    fetched = web.get(f"/api/v1/jobs/{sample.job_pk}", headers=lead)
    page = web.get(f"/review/jobs/{sample.job_pk}")
    assert page.status_code == 200 and "qa-marker" not in page.text
    fresh = web.get(f"/api/v1/jobs/{original['job']['id'] + 1}", headers=lead).json()
    fresh_page = web.get(f"/review/jobs/{fresh['id']}").text
    for payload in (claimed.json(), fetched.json()):
        assert payload["kind"] == "qa" and payload["subject"]["id"] == "post-1"
        assert payload["author"]["prior_actions"] == [] and payload["policy"] is None
        text = _without_choices(payload)
        for secret in (MARKER, REVIEWER, POLICY, "remove"):
            assert secret not in text, secret
        assert [p["id"] for p in payload["policies"]] == [p["id"] for p in fresh["policies"]]
    for secret in (MARKER, REVIEWER, 'tag-warn">remove'):
        assert secret not in page.text, secret
    # The policy, and the word "removed", only where every job of the queue has them: the choices and guidance.
    for word in (POLICY, "removed", "Remove"):
        assert page.text.count(word) == fresh_page.count(word), word


@browser
def test_a_qa_reviewer_decides_a_qa_job_in_the_console(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    with TestClient(create_app(live_server.context)) as api:
        platform = bearer(api_key(database, clock, role=Role.PLATFORM))
        lead = person(database, clock, "lena", Role.QA)
        put_plan(api, lead, rate=1.0)
        seed_post(api, platform, 1)
        original = decide_next(api, person(database, clock, REVIEWER, Role.REVIEWER))
    add_user(live_server, "quinn", Role.QA, languages=("en",))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, "quinn", "/review")
    row = page.locator("#queue-table tr", has_text="QA re-review")
    expect(row.locator("td").nth(2)).to_have_text("1")
    page.keyboard.press(row.locator("kbd").inner_text())
    page.wait_for_url(re.compile(r".*/review/jobs/\d+$"))
    expect(page.locator(".content-text")).to_contain_text("you are all such a 1")
    body = page.locator("body").inner_text()
    assert MARKER not in body and REVIEWER not in body
    page.keyboard.press("n")
    expect(page.locator("input[name=action][value=no_action]")).to_be_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/review\?done=qa(&undo=\d+)?$"))
    with database.transaction() as session:
        sample = session.scalars(select(QaSample)).one()
        verdict = session.scalars(select(Decision).where(Decision.job_pk == sample.job_pk)).one()
        assert (verdict.policy_id, verdict.action, verdict.final) == (None, "no_action", True)
        assert session.scalars(select(EnforcementAction.decision_pk)).all() == [original["decision"]["decision"]]
    assert problems == []
