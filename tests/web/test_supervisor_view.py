"""The supervisor view in a real Chromium: numbers and bars open the jobs behind them; filters; roles.

Set BASTION_SCREENSHOTS to a folder to keep screenshots (at 1024 and 1440 px) of the pages visited.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bastion.auth.users import find_user, principal_of
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.policy.service import current_policies
from bastion.review import claims
from bastion.review.decisions import Choice, decide
from tests.conftest import LiveServer
from tests.web.people import add_user, log_in

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def _seed(server: LiveServer, posts: list[str], *, reason: str, language: str = "en", hours_ago: float = 2) -> None:
    """Content items, each reported once: intake opens one job per item."""
    now = server.context.clock()
    stamp = (now - timedelta(hours=hours_ago)).isoformat()
    author = f"author-{language}-{reason}"
    with server.context.database.transaction() as session:
        policy_ids = frozenset(current_policies(session))
        actor = {"id": author, "created_at": "2025-01-01T00:00:00Z", "language": language}
        ingest(session, IngestKind.ACTORS, [actor], principal="t", now=now)
        items = [
            {"id": pid, "actor_id": author, "type": "post", "text": "look", "created_at": stamp, "language": language}
            for pid in posts
        ]
        ingest(session, IngestKind.CONTENT, items, principal="t", now=now)
        reports = [
            {"id": f"r-{pid}", "target": {"content_id": pid}, "reason": reason, "created_at": stamp} for pid in posts
        ]
        ingest(session, IngestKind.REPORTS, reports, principal="t", now=now, policy_ids=policy_ids)


def _world(server: LiveServer) -> None:
    """Spam waiting in English, hate speech in Spanish; rita and ben decide one spam job each."""
    _seed(server, [f"s-{i}" for i in range(5)], reason="spam")
    _seed(server, ["h-1", "h-2"], reason="hate_speech", language="es")
    add_user(server, "rita", Role.REVIEWER, languages=("en",))
    add_user(server, "ben", Role.REVIEWER, languages=("en",))
    add_user(server, "sam", Role.QA, languages=("en",))
    clock = server.context.clock
    with server.context.database.transaction() as session:
        for name in ("rita", "ben"):
            reviewer = principal_of(find_user(session, name), via="session")
            job = claims.claim_next_job(session, "scams-spam", reviewer, now=clock())
            assert job is not None
            decide(session, job.pk, reviewer, Choice("spam", "remove"), now=clock())


def test_a_supervisor_clicks_a_number_and_a_bar_and_sees_the_jobs_behind_them(
    page: Page, live_server: LiveServer
) -> None:
    _world(live_server)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, "sam", "/review/supervisor")
    expect(page.get_by_role("heading", name="Supervisor")).to_be_visible()
    expect(page.locator(".as-of time")).to_have_text("2026-11-02 09:00 UTC")
    spam = page.locator("#supervisor-queues tbody tr", has_text="scams-spam")
    backlog = spam.locator("td").nth(1)
    expect(backlog).to_have_text("3")
    _shot(page, "supervisor")

    # Every Spanish hate-speech job waits for a Spanish speaker, and no reviewer speaks Spanish.
    expect(page.get_by_role("alert")).to_contain_text("2 open jobs no eligible reviewer can take")

    backlog.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/review/supervisor/jobs\?queue=scams-spam&status=backlog$"))
    expect(page.get_by_role("heading", name="3 jobs")).to_be_visible()
    expect(page.locator("#jobs-table tbody tr")).to_have_count(3)
    expect(page.locator(".chips")).to_contain_text("queue: scams-spam")
    _shot(page, "supervisor-jobs")

    # The chip removes its filter: every queue's backlog.
    page.locator(".chips a", has_text="queue: scams-spam").click()
    expect(page.get_by_role("heading", name="5 jobs")).to_be_visible()

    # A bar of the chart is a link too, with exactly the filter that drew it.
    page.goto(live_server.url + "/review/supervisor")
    bar = page.locator("svg.chart a.chart-link").filter(has=page.locator("title", has_text="Scams, fraud and spam"))
    expect(bar).to_have_count(1)
    bar.locator("path").click()
    expect(page).to_have_url(re.compile(r"queue=scams-spam&status=backlog&sla=on_track"))
    expect(page.locator("#jobs-table tbody tr")).to_have_count(3)

    # The reviewers' decisions open the jobs they decided.
    page.goto(live_server.url + "/review/supervisor")
    page.locator("#supervisor-reviewers tbody tr", has_text="rita").get_by_role("link").click()
    expect(page.locator("#jobs-table tbody tr")).to_have_count(1)
    expect(page.locator("#jobs-table tbody tr")).to_contain_text("decided")
    assert problems == []


def test_filters_apply_at_once_and_bad_filters_are_named(page: Page, live_server: LiveServer) -> None:
    _world(live_server)
    log_in(page, live_server, "sam", "/review/supervisor")
    page.select_option("select[name=language]", "es")  # no Apply press: the change alone applies it
    expect(page).to_have_url(re.compile(r"language=es"))
    spam = page.locator("#supervisor-queues tbody tr", has_text="scams-spam")
    expect(spam.locator("td").nth(1)).to_have_text("0")
    expect(page.get_by_text("Nobody decided anything")).to_be_visible()
    expect(page.locator("select[name=policy] option", has_text="Hate speech (hate_speech)")).to_have_count(1)

    response = page.goto(live_server.url + "/review/supervisor/jobs?status=gone&created_from=yesterday")
    assert response is not None and response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("status: must be one of backlog, open")
    expect(alert).to_contain_text("created_from: must be a date or time")


def test_reviewers_cannot_open_the_supervisor_view_or_the_jobs_listing(page: Page, live_server: LiveServer) -> None:
    _world(live_server)
    log_in(page, live_server, "rita", "/review")
    for target in ("/review/supervisor", "/review/supervisor/jobs?status=backlog"):
        response = page.goto(live_server.url + target)
        assert response is not None and response.status == 403
        expect(page.locator("main")).to_contain_text("review.supervise")


def test_each_role_lands_on_its_own_home_and_the_audit_log_links_its_targets(
    page: Page, live_server: LiveServer
) -> None:
    _world(live_server)
    add_user(live_server, "vic", Role.VENDOR_REVIEWER, vendor="globalmod", languages=("es",))
    add_user(live_server, "ada", Role.ADMIN)
    log_in(page, live_server, "vic", "/")
    expect(page.locator("#home-queues")).to_contain_text("Portuguese and Spanish")
    expect(page.locator("#home-queues tbody tr")).to_have_count(3)  # globalmod's: general, hate-latam, scams-spam
    expect(page.locator("form.lookup")).to_have_count(0)  # vendor reviewers cannot open subjects
    _shot(page, "home-vendor-reviewer")

    page.context.clear_cookies()
    log_in(page, live_server, "ada", "/")
    expect(page.get_by_role("heading", name="Latest audit entries")).to_be_visible()
    expect(page.locator("form.lookup")).to_have_count(1)
    _shot(page, "home-admin")
    page.goto(live_server.url + "/audit?action=job.claim")
    expect(page.get_by_role("heading", name="2 entries")).to_be_visible()
    _shot(page, "audit")
    page.locator("#audit-table a", has_text="job:").first.click()
    expect(page).to_have_url(re.compile(r"/review/jobs/\d+$"))
