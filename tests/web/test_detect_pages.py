"""The detection page and a rule's page: real figures from the pipeline, for analysts only, content escaped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.reference import install_reference
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from tests.conftest import START, LiveServer, api_key, bearer
from tests.web.people import add_user, log_in


def _detected(database: Database, clock: FrozenClock) -> None:
    """The reference rules, and posts that three of them hit, evaluated."""
    with database.transaction() as session:
        install_reference(session, principal=SYSTEM.name, now=clock())
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": START.isoformat()}], principal="t", now=clock())
        posts = [
            "Get free followers fast <script>alert(1)</script> https://bit.ly/abc",
            "You won a gift card! Claim now at https://gift-claim.example/r/1",
            "a quiet day at the lake",
        ]
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": f"p{i}", "actor_id": "a1", "type": "post", "text": text, "created_at": START.isoformat()}
                for i, text in enumerate(posts)
            ],
            principal="t",
            now=clock(),
        )
    DetectionWorker(database, detect_for_worker, clock).run_once()


def test_the_pages_and_their_json_twin_show_the_rules_with_their_hits(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _detected(database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    overview = client.get("/api/v1/detect/performance", headers=analyst).json()
    hits = {rule["name"]: rule["hits"] for rule in overview["rules"]}
    assert hits["spam-terms-with-link"] == 1 and hits["scam-terms-with-link"] == 1 and hits["known-slurs"] == 0
    assert overview["evaluated"] == 3 and overview["waiting"] == 0
    page = client.get("/detect", headers=analyst)
    assert page.status_code == 200 and "spam-terms-with-link" in page.text
    rule = client.get("/detect/rules/spam-terms-with-link", headers=analyst)
    assert rule.status_code == 200 and "p0" in rule.text
    detail = client.get("/api/v1/detect/performance/spam-terms-with-link", headers=analyst).json()
    assert [hit["content_id"] for hit in detail["hits"]] == ["p0"]
    assert detail["hits"][0]["outcome"] == "undecided"
    assert client.get("/detect/rules/no-such-rule", headers=analyst).status_code == 404


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.PLATFORM])
def test_only_those_who_read_detection_see_it(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    headers = bearer(api_key(database, clock, role=role))
    assert client.get("/api/v1/detect/performance", headers=headers).status_code == 403
    assert client.get("/detect", headers=headers).status_code == 403


@pytest.mark.browser
def test_an_analyst_reads_the_detection_page_sorts_it_and_opens_a_rule(page: Page, live_server: LiveServer) -> None:
    clock = live_server.context.clock
    assert isinstance(clock, FrozenClock)
    _detected(live_server.context.database, clock)
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/detect")
    expect(page.get_by_role("heading", name="Detection")).to_be_visible()
    rows = page.locator("table#rules tbody tr")
    expect(rows).to_have_count(10)  # the reference rules, the three that read hash banks included
    page.get_by_role("columnheader", name="Hits, 30 days").click()
    page.get_by_role("columnheader", name="Hits, 30 days").click()
    expect(rows.first).to_contain_text("1")
    page.get_by_label("Filter rules").fill("slur")
    expect(page.locator("table#rules tbody tr:visible")).to_have_count(1)
    page.get_by_label("Filter rules").fill("")
    page.get_by_role("link", name="spam-terms-with-link").click()
    expect(page.get_by_role("heading", name="spam-terms-with-link")).to_be_visible()
    expect(page.locator("table#hits")).to_contain_text("p0")
    assert not page.evaluate("window.__xss === true")
    page.goto(live_server.url + "/content/p0")
    expect(page.locator("body")).to_contain_text("<script>alert(1)</script>")
