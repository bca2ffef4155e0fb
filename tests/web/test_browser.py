"""Real Chromium against a real server: logging in, and hostile content shown as text, never run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Dialog, Page, expect

from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from tests.conftest import PASSWORD, LiveServer, make_user

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _seed(server: LiveServer) -> None:
    context = server.context
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with context.database.transaction() as session:
        ingest(
            session, IngestKind.ACTORS, [{"id": "<b>actor</b>", "created_at": now.isoformat()}], principal="t", now=now
        )
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {
                    "id": "evil-1",
                    "actor_id": "<b>actor</b>",
                    "type": "post",
                    "text": HOSTILE,
                    "created_at": now.isoformat(),
                }
            ],
            principal="t",
            now=now,
        )
        ingest(
            session,
            IngestKind.REPORTS,
            [
                {
                    "id": "r1",
                    "target": {"content_id": "evil-1"},
                    "reason": "<i>reason</i>",
                    "text": HOSTILE,
                    "created_at": now.isoformat(),
                }
            ],
            principal="t",
            now=now,
        )
    make_user(context.database, context.clock, "ana", Role.ANALYST)  # type: ignore[arg-type]


def _log_in(page: Page, server: LiveServer, target: str = "/") -> None:
    page.goto(server.url + target)
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_hostile_content_shows_literally_and_no_script_runs(page: Page, live_server: LiveServer) -> None:
    _seed(live_server)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    _log_in(page, live_server, "/content/evil-1")
    expect(page).to_have_url(live_server.url + "/content/evil-1")
    text = page.locator(".content-text")
    expect(text).to_have_text(HOSTILE)
    assert page.locator(".content-text script").count() == 0
    assert page.locator(".content-text img").count() == 0
    assert page.locator("td.wrap", has_text="<script>").count() == 1  # the report's note, also literal
    expect(page.get_by_text("<i>reason</i>", exact=True)).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Reported for <i>reason</i>")  # in words, as text
    page.wait_for_timeout(300)  # give an injected handler every chance to fire
    assert dialogs == []


def test_login_with_a_wrong_password_stays_out_then_gets_in(page: Page, live_server: LiveServer) -> None:
    _seed(live_server)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login?next=%2F")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.locator(".who-name")).to_have_text("ana")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies["bastion_session"]
    assert session_cookie["httpOnly"] and session_cookie["secure"] and session_cookie["sameSite"] == "Lax"
    # the latest reports table is there, with the hostile report reason shown as text
    expect(page.locator("#recent-reports")).to_contain_text("<i>reason</i>")
    page.click("text=Log out")
    expect(page).to_have_url(live_server.url + "/login")
    page.goto(live_server.url + "/policies")
    expect(page).to_have_url(live_server.url + "/login?next=%2Fpolicies")


def test_policy_table_sorts_and_filters(page: Page, live_server: LiveServer) -> None:
    _seed(live_server)
    _log_in(page, live_server, "/policies")
    rows = page.locator("#policy-table tbody tr")
    expect(rows).to_have_count(45)
    page.fill("input[data-filter=policy-table]", "hate")
    expect(page.locator("#policy-table tbody tr:not(.hidden)")).not_to_have_count(45)
    visible = page.locator("#policy-table tbody tr:not(.hidden) td:first-child").all_text_contents()
    assert visible and all("hate" in v for v in visible)
    page.fill("input[data-filter=policy-table]", "")
    page.click("#policy-table th:has-text('Severity')")
    page.click("#policy-table th:has-text('Severity')")  # descending: most severe first
    first = page.locator("#policy-table tbody tr").first.locator("td").nth(2)
    expect(first).to_have_text("S4")
