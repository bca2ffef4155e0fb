"""The models pages: empty states, a trained model with its card and agreement, in a real browser."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.models.text_classifier import FeatureSpec, Settings
from bastion.models.training import train_classifier
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer
from tests.models.decided import decided_store
from tests.web.people import add_user, log_in

TINY = Settings(features=(FeatureSpec("word", (1, 2), min_df=1, max_features=2_000),))


def test_the_empty_page_says_what_to_do_and_that_qa_is_not_measured_yet(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/models", headers=analyst)
    assert page.status_code == 200
    assert "No models yet." in page.text and "bastion classifier train --policy POLICY" in page.text
    assert "QA reviews and golden answers do not exist in Bastion yet" in page.text
    assert client.get("/models/nothing", headers=analyst).status_code == 404


@pytest.mark.browser
def test_in_a_browser_an_analyst_sees_a_model_its_card_and_its_agreement(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    decided_store(database, clock)
    with database.transaction() as session:
        train_classifier(session, "spam", principal="user:ana", now=clock(), settings=TINY)
    # The decided items are detected again (queued when they were stored): the shadow model scores them.
    worker = DetectionWorker(database, detect_for_worker, clock, batch=50)
    while worker.run_once():
        pass
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/models")
    expect(page.locator("nav")).to_contain_text("Models")
    row = page.locator("#model-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("spam")
    expect(row).to_contain_text("shadow")
    expect(row.locator("td").nth(7)).to_have_text("30")  # reviewers decided every item it scored
    page.screenshot(path="test-results/models.png", full_page=True)
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text("spam")
    expect(page.locator("section.stats")).to_contain_text("Cohen's kappa")
    expect(page.get_by_text("Known gaps")).to_be_visible()
    expect(page.locator("#scores tbody tr")).to_have_count(30)
    page.screenshot(path="test-results/models-detail.png", full_page=True)
