"""The SQL console page: empty and error states, hostile content escaped, the roles, and in a real browser
a query run with Ctrl+Enter, its result sorted, charted, downloaded as CSV and saved."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from tests.conftest import LiveServer, api_key, bearer
from tests.web.people import add_user, log_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _hostile_content(database: Database, clock: FrozenClock) -> None:
    when = clock().isoformat()
    with database.transaction() as session:
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": when}], principal="user:t", now=clock())
        items = [
            {"id": f"c{i}", "actor_id": "a1", "type": "post", "text": text, "country": country, "created_at": when}
            for i, (text, country) in enumerate([(HOSTILE, "BR"), ("=cmd|' /C calc'!A0", "BR"), ("hello", "US")])
        ]
        ingest(session, IngestKind.CONTENT, items, principal="user:t", now=clock())


def test_the_page_shows_the_editor_the_views_and_an_empty_saved_list(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.get("/insight/sql", headers=analyst)
    assert page.status_code == 200
    assert "No saved queries yet." in page.text and "FROM content" in page.text
    assert "<dt><code>actors</code></dt>" in page.text and "password_hash" not in page.text
    assert client.get("/insight/sql", headers=bearer(api_key(database, clock, role=Role.REVIEWER))).status_code == 403


def test_content_is_escaped_in_every_cell_and_the_csv_is_spreadsheet_safe(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _hostile_content(database, clock)
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    sql = "SELECT external_id, text FROM content ORDER BY external_id"
    page = client.post("/insight/sql", data={"sql": sql}, headers=analyst)
    assert page.status_code == 200
    assert HOSTILE not in page.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    download = client.post("/insight/sql/csv", data={"sql": sql}, headers=analyst)
    assert download.headers["content-disposition"] == 'attachment; filename="bastion-query.csv"'
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows == [["external_id", "text"], ["c0", HOSTILE], ["c1", "'=cmd|' /C calc'!A0"], ["c2", "hello"]]


def test_a_refused_query_shows_why_beside_the_editor_keeping_the_text(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    page = client.post("/insight/sql", data={"sql": "ATTACH '/tmp/x.db' AS x"}, headers=analyst)
    assert page.status_code == 422
    assert 'role="alert"' in page.text and "attaching databases (ATTACH)" in page.text
    assert "ATTACH &#39;/tmp/x.db&#39; AS x</textarea>" in page.text
    nothing = client.post("/insight/sql", data={"sql": "SELECT 1 WHERE false"}, headers=analyst)
    assert "No rows: the query ran and matched nothing." in nothing.text
    bad_chart = client.post("/insight/sql", data={"sql": "SELECT 'a' AS x, 'b' AS y", "x": "x", "y": "y"},
                            headers=analyst)  # fmt: skip
    assert bad_chart.status_code == 200 and "&#39;y&#39; is VARCHAR, not a number" in bad_chart.text


@pytest.mark.browser
def test_in_a_browser_an_analyst_runs_sorts_charts_downloads_and_saves_a_query(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    _hostile_content(database, clock)
    add_user(live_server, "ana", Role.ANALYST)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    log_in(page, live_server, "ana", "/insight/sql")
    expect(page.locator("nav")).to_contain_text("SQL console")
    expect(page.locator("#saved-queries")).to_have_count(0)
    editor = page.locator("#sql-text")
    editor.fill("SELECT country, count(*) AS items FROM content GROUP BY country ORDER BY country")
    editor.press("Control+Enter")
    rows = page.locator("#result-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("BR")
    page.locator("#result-table th", has_text="items").click()  # ascending: US (1) first
    expect(rows.first).to_contain_text("US")
    page.locator("#result-table th", has_text="items").click()
    expect(rows.first).to_contain_text("BR")
    page.select_option("#chart-x", "country")
    page.select_option("#chart-y", "items")
    page.locator("#run").click()
    expect(page.locator("#quick-chart svg")).to_be_visible()
    page.screenshot(path="test-results/sql-console.png", full_page=True)
    with page.expect_download() as waiting:
        page.locator("#download-csv").click()
    saved_to = tmp_path / "result.csv"
    waiting.value.save_as(saved_to)
    assert saved_to.read_text().splitlines() == ["country,items", "BR,2", "US,1"]
    page.fill("input[name=name]", "Items per country")
    page.check("input[name=shared]")
    page.locator("#save").click()
    expect(page.locator("#saved-queries tbody tr")).to_have_count(1)
    expect(page.locator("#saved-queries")).to_contain_text("shared")
    expect(editor).to_have_value("SELECT country, count(*) AS items FROM content GROUP BY country ORDER BY country")
    editor.fill("SELECT external_id, text FROM content ORDER BY external_id")
    editor.press("Control+Enter")
    expect(page.locator("#result-table tbody tr").first.locator("td").nth(1)).to_have_text(HOSTILE)
    page.screenshot(path="test-results/sql-console-hostile.png", full_page=True)
    assert dialogs == []  # the hostile text was shown, never run
