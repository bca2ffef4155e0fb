"""Bank pages: the list and create form, a bank with its versions, entries (filtered, paged) and import form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.detect.banks import bank_detail
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer
from tests.web.people import add_user, log_in


@pytest.fixture
def analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer(api_key(database, clock, role=Role.ANALYST))


def test_create_and_import_through_the_forms(client: TestClient, analyst: dict[str, str], database: Database) -> None:
    empty = client.get("/detect/banks", headers=analyst)
    assert empty.status_code == 200 and "No banks yet." in empty.text
    created = client.post(
        "/detect/banks",
        data={"name": "spam", "kind": "keyword", "description": "<b>x</b>"},
        headers=analyst,
        follow_redirects=False,
    )
    assert (created.status_code, created.headers["location"]) == (303, "/detect/banks/spam?created=1")
    imported = client.post(
        "/detect/banks/spam/import",
        data={"entries": "free followers\n<script>alert(1)</script>\n"},
        files={"file": ("", b"")},
        headers=analyst,
        follow_redirects=False,
    )
    assert (imported.status_code, imported.headers["location"]) == (303, "/detect/banks/spam?imported=1")
    uploaded = client.post(
        "/detect/banks/spam/import",
        data={"replace": "true"},
        files={"file": ("terms.txt", "\ufeffbuy likes\n# c\nfree followers\n".encode())},
        headers=analyst,
        follow_redirects=False,
    )
    assert uploaded.headers["location"] == "/detect/banks/spam?imported=2"
    with database.transaction() as session:
        detail = bank_detail(session, "spam")
    assert detail.entries == ("buy likes", "free followers") and detail.versions[0].source == "terms.txt"
    page = client.get("/detect/banks/spam?imported=2", headers=analyst).text
    assert "Imported: the bank is now at version 2." in page and "terms.txt" in page
    old = client.get("/detect/banks", headers=analyst).text
    assert "&lt;b&gt;x&lt;/b&gt;" in old and "<b>x</b>" not in old


def test_a_refused_form_is_shown_again_with_its_errors(
    client: TestClient, analyst: dict[str, str], database: Database
) -> None:
    bad = client.post("/detect/banks", data={"name": "Spam-Terms", "kind": "keyword"}, headers=analyst)
    assert bad.status_code == 422
    assert "cannot hold - or ." in bad.text and 'value="Spam-Terms"' in bad.text
    client.post("/detect/banks", data={"name": "phones", "kind": "regex"}, headers=analyst)
    refused = client.post(
        "/detect/banks/phones/import", data={"entries": "ok\n(<i>\n"}, files={"file": ("", b"")}, headers=analyst
    )
    assert refused.status_code == 422
    assert "line 2: RE2 refuses this pattern: missing ): (&lt;i&gt;" in refused.text
    assert "(&lt;i&gt;" in refused.text and "<i>" not in refused.text  # what was typed, kept and escaped
    latin1 = client.post(
        "/detect/banks/phones/import", files={"file": ("x.txt", "caf\xe9".encode("latin-1"))}, headers=analyst
    )
    assert latin1.status_code == 422 and "is not UTF-8 text" in latin1.text
    nothing = client.post("/detect/banks/phones/import", data={"entries": " "}, headers=analyst)
    assert nothing.status_code == 422 and "type entries, one a line, or choose a file" in nothing.text
    with database.transaction() as session:
        assert bank_detail(session, "phones").version == 0


def test_entries_filter_and_page_on_the_server(client: TestClient, analyst: dict[str, str]) -> None:
    client.post("/detect/banks", data={"name": "big", "kind": "keyword"}, headers=analyst)
    text = "".join(f"term{n:04d}\n" for n in range(1_200)) + "free followers\n"
    client.post("/detect/banks/big/import", data={"entries": text}, files={"file": ("", b"")}, headers=analyst)
    first = client.get("/detect/banks/big", headers=analyst).text
    assert first.count("<code>term") == 500 and "offset=500" in first
    last = client.get("/detect/banks/big", params={"offset": 1000}, headers=analyst).text
    assert last.count("<code>term") == 200 and "free followers" in last
    found = client.get("/detect/banks/big", params={"contains": "FR3E"}, headers=analyst).text
    assert "1 of 1,201 entries contain" in found and "<code>free followers</code>" in found


def test_pages_deny_roles_without_detection(client: TestClient, database: Database, clock: FrozenClock) -> None:
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    assert client.get("/detect/banks", headers=reviewer).status_code == 403
    assert client.post("/detect/banks", data={"name": "x", "kind": "keyword"}, headers=reviewer).status_code == 403
    assert client.get("/detect/banks/x", headers=reviewer).status_code == 403


@pytest.mark.browser
def test_in_a_browser_an_analyst_creates_a_bank_imports_and_filters(page: Page, live_server: LiveServer) -> None:
    add_user(live_server, "ana", Role.ANALYST)
    log_in(page, live_server, "ana", "/detect/banks")
    expect(page.get_by_text("No banks yet.")).to_be_visible()
    page.fill("input[name=name]", "spam_terms")
    page.select_option("select[name=kind]", "keyword")
    page.fill("input[name=description]", "Follower sellers")
    page.get_by_role("button", name="Create bank").click()
    page.wait_for_url(re.compile(r"/detect/banks/spam_terms\?created=1$"))
    expect(page.get_by_role("status")).to_contain_text("It is empty until the first import")
    page.fill("textarea[name=entries]", "# sellers\nfree followers\nbuy likes\nFR3E F0LLOWERS\n<img src=x>\n")
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"imported=1$"))
    expect(page.get_by_role("status")).to_have_text("Imported: the bank is now at version 1.")
    entries = page.locator("#entry-table tbody tr")
    expect(entries).to_have_count(3)
    expect(page.locator("#entry-table")).to_contain_text("<img src=x>")  # shown as text, never as markup
    expect(page.locator("#version-table tbody tr")).to_have_count(1)
    page.fill("input[name=contains]", "\u0412UY")  # a Cyrillic В: folded like B
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("buy likes")
    page.get_by_role("link", name="Banks").click()
    expect(page.locator("#bank-table tbody tr")).to_have_count(1)
    expect(page.locator("#bank-table")).to_contain_text("Follower sellers")
