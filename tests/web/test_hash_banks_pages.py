"""The hash banks page: banks with sizes and matches, recent matches, enable and disable, create and import
forms (refused forms shown again with their errors), and who may see it."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_now
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.match.hash_banks import hash_bank
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer
from tests.web.people import add_user, log_in

A = "f0" * 32
PAGE = "/match/hashes"


@pytest.fixture
def analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer(api_key(database, clock, role=Role.ANALYST))


def test_create_import_and_disable_through_the_forms(
    client: TestClient, analyst: dict[str, str], database: Database
) -> None:
    empty = client.get(PAGE, headers=analyst)
    assert empty.status_code == 200 and "No hash banks yet." in empty.text and "No matches yet." in empty.text
    created = client.post(
        PAGE,
        data={"name": "scams", "kind": "match", "threshold": "20", "description": "<b>x</b>", "flood_limit": "5",
              "flood_window_seconds": "60"},
        headers=analyst,
        follow_redirects=False,
    )  # fmt: skip
    assert (created.status_code, created.headers["location"]) == (303, f"{PAGE}?done=created")
    imported = client.post(
        f"{PAGE}/import", data={"bank": "scams", "text": f"{A}\n", "format": "auto"}, headers=analyst,
        follow_redirects=False,
    )  # fmt: skip
    assert imported.headers["location"] == f"{PAGE}?done=imported-1-0"
    page = client.get(imported.headers["location"], headers=analyst).text
    assert "Imported 1 new hashes" in page and "more than 5 in 60 s" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    disabled = client.post(f"{PAGE}/scams/disable", headers=analyst, follow_redirects=False)
    assert disabled.headers["location"] == f"{PAGE}?done=disabled"
    with database.transaction() as session:
        bank = hash_bank(session, "scams")
    assert (bank.enabled, bank.threshold, bank.entry_count) == (False, 20, 1)


def test_a_refused_form_is_shown_again_with_its_errors(client: TestClient, analyst: dict[str, str]) -> None:
    bad = client.post(PAGE, data={"name": "Bad-Name", "threshold": "lots"}, headers=analyst)
    assert bad.status_code == 422 and "must be a whole number" in bad.text and 'value="Bad-Name"' in bad.text
    client.post(PAGE, data={"name": "scams"}, headers=analyst)
    refused = client.post(f"{PAGE}/import", data={"bank": "scams", "text": f"{A}\n<i>nope</i>\n"}, headers=analyst)
    assert refused.status_code == 422
    assert "line 2: <code>hash</code> must be 64 hexadecimal digits" in refused.text
    assert "&lt;i&gt;nope&lt;/i&gt;" in refused.text and "<i>nope" not in refused.text


def test_the_page_is_denied_to_roles_without_detection(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    assert client.get(PAGE, headers=reviewer).status_code == 403
    assert client.post(PAGE, data={"name": "x"}, headers=reviewer).status_code == 403
    assert client.post(f"{PAGE}/x/disable", headers=reviewer).status_code == 403


def _matched_item(server: LiveServer) -> None:
    database, clock = server.context.database, server.context.clock
    assert isinstance(clock, FrozenClock)
    with database.transaction() as session:
        load_rule_text(
            session,
            "rules:\n  - name: scam-image\n    mode: live\n    when: 'signals.hash.scams.hit'\n"
            "    then:\n      - enqueue: {queue: general}\n",
            source="rules.yaml",
            principal=SYSTEM.name,
            now=clock(),
        )
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (clock() - timedelta(days=3)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )
        ingest(
            session,
            IngestKind.CONTENT,
            [{"id": "img-<1>", "actor_id": "a1", "type": "image", "created_at": clock().isoformat(),
              "media": {"pdq": f"{int(A, 16) ^ 0b111:064x}"}}],
            principal=SYSTEM.name,
            now=clock(),
        )  # fmt: skip
    detect_now(database, ["img-<1>"], clock())


@pytest.mark.browser
def test_in_a_browser_an_analyst_creates_a_bank_imports_and_sees_its_matches(
    page: Page, live_server: LiveServer, tmp_path: os.PathLike[str]
) -> None:
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", PAGE)
    expect(page.get_by_text("No hash banks yet.")).to_be_visible()
    page.get_by_role("link", name="Image hashes").click()
    page.fill("input[name=name]", "scams")
    page.fill("input[name=policy]", "spam.commercial_spam")
    page.fill("input[name=description]", "Known scam images")
    page.get_by_role("button", name="Create hash bank").click()
    page.wait_for_url(re.compile(r"done=created$"))
    page.fill("textarea[name=text]", f"pdq,label\n{A},fake giveaway\n")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"done=imported-1-0$"))
    _matched_item(live_server)
    page.reload()
    matches = page.locator("#hash-match-table tbody tr")
    expect(matches).to_have_count(1)
    expect(matches.first).to_contain_text("img-<1>")  # shown as text, never as markup
    expect(matches.first).to_contain_text("fake giveaway")
    expect(page.locator("#hash-bank-table tbody tr").first).to_contain_text("enabled")
    page.screenshot(path=f"{tmp_path}/hash-banks.png", full_page=True)
    page.get_by_role("button", name="Disable scams").click()
    page.wait_for_url(re.compile(r"done=disabled$"))
    expect(page.get_by_role("status")).to_contain_text("matches nothing until enabled")
    expect(page.get_by_role("button", name="Enable scams")).to_be_visible()
    if os.environ.get("BASTION_TEST_SCREENSHOTS"):
        page.screenshot(path=os.environ["BASTION_TEST_SCREENSHOTS"] + "/hash-banks.png", full_page=True)
