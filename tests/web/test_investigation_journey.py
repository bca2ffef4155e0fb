"""Real Chromium against a real server, one investigation from end to end: an investigator opens a case from
an escalated job whose author belongs to a coordinated ring, follows the author to the entity graph and
expands it to a ring-mate, then acts on the ring's network through the preview and the typed confirmation.
The store is read afterwards: what the pages said was done is what was done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.review.claims import claim_next_job, escalate
from bastion.store.schema import Actor, AuditRecord, BulkAction, CaseLink, ContentItem, EnforcementAction, Job
from tests.conftest import LiveServer
from tests.investigate.test_network_store import RING, _platform
from tests.review.jobs_factory import make_jobs, make_reviewers
from tests.web.people import add_user, log_in

pytestmark = pytest.mark.browser
THREAT = "claim yours before friday or we come to the school <b>now</b>"


def _escalated_ring_post(server: LiveServer) -> int:
    """A ring member's post, reported as a threat and escalated by a reviewer; returns the job."""
    database, clock = server.context.database, server.context.clock
    assert isinstance(clock, FrozenClock)
    _platform(database)
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="violence_and_incitement.credible_threats")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        content = session.get_one(ContentItem, session.get_one(Job, job_pk).subject_pk)
        content.text = THREAT
        content.actor_pk = session.scalars(select(Actor.pk).where(Actor.external_id == RING[0])).one()
    with database.transaction() as session:
        claimed = claim_next_job(session, "general", reviewer, now=clock())
        assert claimed is not None and claimed.pk == job_pk
        escalate(session, job_pk, reviewer, now=clock(), note="a threat from an account made in a batch")
    return job_pk


def test_a_case_from_an_escalation_its_author_graph_and_a_bulk_action_on_the_ring(
    page: Page, live_server: LiveServer
) -> None:
    job_pk = _escalated_ring_post(live_server)
    add_user(live_server, "ines", Role.INVESTIGATOR)
    problems: list[str] = []

    def refuse(dialog: Dialog) -> None:
        problems.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # 1. The escalated job in the console, and a case opened from it.
    log_in(page, live_server, "ines", "/review")
    page.locator("#queue-table tr", has_text="Escalations").locator("button").click()
    page.wait_for_url(re.compile(rf".*/review/jobs/{job_pk}(\?.*)?$"))
    page.get_by_role("link", name="Open a case").click()
    page.select_option("select[name=severity]", "2")
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_url(re.compile(r".*/investigate/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("dl.snapshot .content-text")).to_have_text(THREAT)
    links = page.locator("#link-table")
    expect(links).to_contain_text(RING[0])

    # 2. From the case to the author's entity graph, expanded from a ring-mate.
    links.get_by_role("link", name="Author's graph").click()
    page.wait_for_url(re.compile(r".*/investigate/graph\?subject=actor%3Aring0.*"))
    canvas = page.locator("#graph-canvas")
    expect(canvas).to_have_attribute("data-drawn", re.compile(r"^[1-9]\d*$"))
    mate = page.locator(f'#node-table tr[data-node="actor:{RING[1]}"]')
    expect(mate).to_have_count(1)  # ring1 shares ring0's campaign link (and one device in two)
    before = page.locator("#node-table tbody tr").count()
    mate.locator("button.row-expand").click()
    expect(canvas).to_have_attribute("data-expanded", "1")
    expect(page.locator("#node-table tbody tr")).not_to_have_count(before)
    drawn = page.evaluate("() => window.__graph.body.data.nodes.length")
    assert drawn == page.locator("#node-table tbody tr").count()  # the table twin holds what is drawn

    # 3. The ring's network: a preview, the typed confirmation, the result.
    page.locator("nav").get_by_role("link", name="Networks").click()
    page.locator("#networks tbody a").first.click()
    page.wait_for_url(re.compile(r"/investigate/networks/network-[0-9a-f]{12}$"))
    network_id = page.url.rsplit("/", 1)[1]
    page.select_option("select[name=action]", "suspend")
    page.get_by_role("button", name="Act on this network").click()
    to_change = int(page.locator("#to-change").inner_text())
    assert to_change == len(RING)
    page.fill("input[name=typed]", str(to_change))
    page.get_by_role("button", name=f"Suspend {to_change} accounts").click()
    page.wait_for_url(re.compile(r"/investigate/bulk-actions/\d+$"))
    expect(page.locator("#changed")).to_have_text(str(to_change))
    assert problems == []

    # What the pages said is what the store holds: the case, the ring's suspensions, each step audited.
    database = live_server.context.database
    with database.transaction() as session:
        (bulk,) = session.scalars(select(BulkAction)).all()
        assert (bulk.network_id, len(bulk.changed), bulk.case_pk) == (network_id, to_change, case_id)
        suspended = session.scalars(
            select(Actor.external_id)
            .join(EnforcementAction, EnforcementAction.subject_pk == Actor.pk)
            .where(EnforcementAction.subject_type == "actor", EnforcementAction.action == "suspend")
        ).all()
        assert sorted(suspended) == sorted(RING)
        assert RING[0] in session.scalars(select(CaseLink.ref).where(CaseLink.case_pk == case_id)).all()
        audited = set(session.scalars(select(AuditRecord.action).where(AuditRecord.principal.contains("ines"))).all())
    assert {"case.opened", "case.viewed", "graph.viewed", "bulk_action.take"} <= audited, audited
