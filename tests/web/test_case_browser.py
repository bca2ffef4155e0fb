"""Real Chromium against a real server: an investigator opens an escalated job in the review console, opens a
case from it, and the case page shows the evidence snapshot (hostile text shown as text) and the timeline."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.review.claims import claim_next_job, escalate
from bastion.store.schema import ContentItem, Job
from tests.conftest import LiveServer
from tests.review.jobs_factory import make_jobs, make_reviewers
from tests.web.people import add_user, log_in

pytestmark = pytest.mark.browser
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
THREAT = f"everyone at Lincoln High School pays on friday {HOSTILE}"


def _shot(page: Page, name: str) -> None:
    """A screenshot, when BASTION_SCREENSHOTS names a folder for them."""
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _escalated(server: LiveServer) -> int:
    database, clock = server.context.database, server.context.clock
    assert isinstance(clock, FrozenClock)
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="violence_and_incitement.credible_threats")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        session.get_one(ContentItem, job.subject_pk).text = THREAT
    with database.transaction() as session:
        claimed = claim_next_job(session, job.queue, reviewer, now=clock())
        assert claimed is not None and claimed.pk == job_pk
        escalate(session, job_pk, reviewer, now=clock(), note="names a school and a day")
    return job_pk


def test_open_a_case_from_an_escalated_job_and_see_its_evidence(page: Page, live_server: LiveServer) -> None:
    job_pk = _escalated(live_server)
    add_user(live_server, "ines", Role.INVESTIGATOR)
    alerts: list[str] = []

    def refuse(dialog: Dialog) -> None:
        alerts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    log_in(page, live_server, "ines", "/review")
    page.locator("#queue-table tr", has_text="Escalations").locator("button").click()
    page.wait_for_url(re.compile(rf".*/review/jobs/{job_pk}(\?.*)?$"))
    _shot(page, "case-escalated-job")
    page.get_by_role("link", name="Open a case").click()
    page.wait_for_url(re.compile(r".*/investigate/cases/new\?from_job=\d+$"))
    expect(page.locator("input[name=title]")).to_have_value(re.compile("^Escalation: content "))
    page.select_option("select[name=severity]", "1")
    page.check("input[name=threat]")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r".*/investigate/cases/\d+$"))
    expect(page.locator("h1")).to_contain_text("SEV1")
    expect(page.locator("h1")).to_contain_text("real-world threat")
    expect(page.locator("dl.snapshot .content-text")).to_have_text(THREAT)  # shown as text, never run
    timeline = page.locator("#timeline-table")
    for kind in ("content.snapshotted", "case.opened", "case.linked", "case.threat_flagged"):
        expect(timeline).to_contain_text(kind)
    page.locator("textarea[name=body]").fill(f"called the school {HOSTILE}")
    page.get_by_role("button", name="Add the note").click()
    expect(page.locator("ul.history")).to_contain_text(f"called the school {HOSTILE}")
    page.get_by_role("button", name="Move to investigating").click()
    expect(page.locator("h1")).to_contain_text("investigating")
    _shot(page, "case-page")
    page.get_by_role("link", name="Cases", exact=True).first.click()
    expect(page.locator("#case-table")).to_contain_text("real-world threat")
    _shot(page, "case-list")
    assert alerts == []
