"""The insight dashboards over real HTTP: roles, the metrics layer's numbers, CSV equal to the chart,
empty states, hostile segments escaped, and (in Chromium) a number opening what is behind it.

The store is the hand-counted one of the metrics tests (tests/insight/metrics/handmade.py): everything
happens on 2026-10-05 and 06, 28 days before the test clock's now, so the 90-day window holds it all
and the 7-day window nothing.

Set BASTION_SCREENSHOTS to a folder to keep screenshots (at 1024 and 1440 px) of the pages visited.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.insight.dashboards.service import HEADLINE, dashboard
from bastion.insight.metrics import METRICS, compute, open_store
from bastion.store.database import Database
from bastion.store.schema import Job
from tests.conftest import LiveServer, api_key, bearer
from tests.insight.metrics.handmade import plant
from tests.web.people import add_user, log_in

API = "/api/v1/insight/dashboards"


def _same(found: Any, expected: Any) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return found is None
    return found is not None and math.isclose(float(found), float(expected), rel_tol=1e-9, abs_tol=1e-12)


def _expected(database: Database, names: list[str], by: list[str], since: Any, until: Any) -> Any:
    with open_store(database) as backend:
        return compute(backend, names, by=by, since=since, until=until)


def test_the_overview_figures_are_the_metrics_layers_for_the_window_and_the_one_before(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    plant(database)
    answer = client.get(
        API + "/overview", params={"window": 90}, headers=bearer(api_key(database, clock, Role.ANALYST))
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    now = clock()
    current = _expected(database, list(HEADLINE), [], now - timedelta(days=90), now).iloc[0]
    previous = _expected(database, list(HEADLINE), [], now - timedelta(days=180), now - timedelta(days=90)).iloc[0]
    figures = {f["column"]: f for f in body["figures"]}
    assert set(figures) == {c for n in HEADLINE for c in METRICS[n].columns}
    for column, figure in figures.items():
        assert _same(figure["value"], current[column]), column
        if figure["metric"] != "backlog":
            assert _same(figure["previous"], previous[column]), column
    assert figures["content_actioned"]["value"] == 3 and figures["content_actioned"]["delta"] == 3
    assert figures["restored_with_appeal"]["value"] == 1 and figures["inflow"]["value"] == 3
    assert figures["backlog"]["previous"] is None and figures["backlog"]["delta"] is None
    # An analyst may see the jobs listing: the inflow opens the jobs opened in the window.
    assert figures["inflow"]["href"].startswith("/review/supervisor/jobs?created_from=")
    assert figures["content_actioned"]["href"] == "#by-policy"


def test_a_policy_dashboard_is_that_policys_row_of_the_metrics_layer(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    plant(database)
    now = clock()
    headers = bearer(api_key(database, clock, Role.INVESTIGATOR))
    body = client.get(API + "/policy", params={"subject": "spam", "window": 90}, headers=headers).json()
    frame = _expected(database, ["content_actioned", "inflow", "prevalence"], ["policy"], now - timedelta(days=90), now)
    row = frame[frame["policy"] == "spam"].iloc[0]
    figures = {f["column"]: f for f in body["figures"]}
    for column in ("content_actioned", "inflow", "prevalence", "prevalence_upper"):
        assert _same(figures[column]["value"], row[column]), column
    assert figures["content_actioned"]["value"] == 2
    # An investigator may not list jobs: no figure opens the supervisor's listing.
    assert not any((f["href"] or "").startswith("/review/") for f in body["figures"])
    by_country = next(b for b in body["breakdowns"] if b["dimension"] == "country")
    assert {(r["segment"], r["values"]["content_actioned"], r["href"]) for r in by_country["rows"]} == {
        ("BR", 1, "/insight/market/BR"),
        ("US", 1, "/insight/market/US"),
    }


def test_the_csv_of_a_chart_is_the_charts_data_and_the_metrics_layers(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    plant(database)
    now = clock()
    headers = bearer(api_key(database, clock, Role.ANALYST))
    body = client.get(API + "/overview", params={"window": 90}, headers=headers).json()
    charts = {c["name"]: c for c in body["charts"]}
    for name in ("daily", "by_policy", "by_country", "by_queue"):
        answer = client.get("/insight", params={"window": 90, "format": "csv", "chart": name}, headers=headers)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [(r["category"], r["series"], int(r["value"])) for r in rows] == [
            (r["category"], r["series"], r["value"]) for r in charts[name]["rows"]
        ], name
    frame = _expected(database, ["content_actioned"], ["policy"], now - timedelta(days=90), now)
    assert {(r["category"], r["value"]) for r in charts["by_policy"]["rows"]} == {
        (str(p), int(v)) for p, v in zip(frame["policy"], frame["content_actioned"], strict=True)
    }
    daily = {(r["category"], r["series"]): r["value"] for r in charts["daily"]["rows"]}
    assert daily[("2026-10-05", "content actioned")] == 2 and daily[("2026-10-06", "content actioned")] == 1
    assert daily[("2026-10-05", "jobs opened")] == 3
    answer = client.get("/insight", params={"format": "csv", "chart": "nope"}, headers=headers)
    assert answer.status_code == 422 and "nope" in answer.text


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.PLATFORM, Role.QA])
def test_only_insight_readers_see_the_dashboards(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    headers = bearer(api_key(database, clock, role))
    for path in ("/insight", "/insight/policy/spam", "/insight/market/US", "/insight/queue/general", API + "/overview"):
        assert client.get(path, headers=headers).status_code == 403, path
    assert client.get(API + "/overview").status_code == 401


@pytest.mark.parametrize("role", [Role.ANALYST, Role.INVESTIGATOR, Role.ADMIN])
def test_insight_readers_see_every_page(client: TestClient, database: Database, clock: FrozenClock, role: Role) -> None:
    plant(database)
    headers = bearer(api_key(database, clock, role))
    for path in ("/insight", "/insight/policy/spam", "/insight/market/US", "/insight/queue/general"):
        answer = client.get(path, params={"window": 90}, headers=headers)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert "Content actioned" in answer.text and "<svg" in answer.text


def test_an_empty_window_says_so_and_bad_requests_name_the_field(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    plant(database)
    headers = bearer(api_key(database, clock, Role.ANALYST))
    page = client.get("/insight", params={"window": 7}, headers=headers)
    assert page.status_code == 200 and "Nothing was counted" in page.text
    answer = client.get(API + "/overview", params={"window": 5}, headers=headers)
    assert answer.status_code == 422
    assert ("window", "must be one of 7, 28, 90 (days)") in {
        (d["path"], d["message"]) for d in answer.json()["error"]["details"]
    }
    answer = client.get(API + "/planet", headers=headers)
    assert answer.status_code == 422 and any(d["path"] == "kind" for d in answer.json()["error"]["details"])
    for subject in (None, "", "a\x00b", "x" * 129):
        answer = client.get(
            API + "/policy", params={"subject": subject} if subject is not None else {}, headers=headers
        )
        assert answer.status_code == 422, subject
        paths = {d["path"] for d in answer.json()["error"]["details"]}
        assert paths & {"subject", "query.subject"}, (subject, answer.json())


def test_hostile_segments_are_escaped(client: TestClient, database: Database, clock: FrozenClock) -> None:
    plant(database)
    hostile = "<img src=x onerror=alert(1)>"
    with database.transaction() as session:
        for job in session.query(Job).all():
            job.queue = hostile
    headers = bearer(api_key(database, clock, Role.ANALYST))
    page = client.get("/insight", params={"window": 90}, headers=headers)
    assert page.status_code == 200
    assert hostile not in page.text and "&lt;img src=x" in page.text
    page = client.get("/insight/policy/" + "%3Cscript%3Ealert(1)", headers=headers)
    assert page.status_code == 200 and "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text


def test_the_dashboard_service_refuses_a_subject_on_the_overview(database: Database, clock: FrozenClock) -> None:
    from bastion.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        dashboard(database, "overview", "spam", days=28, now=clock())
    assert [e.path for e in refused.value.errors] == ["subject"]


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.browser
def test_an_analyst_opens_the_overview_and_follows_numbers_to_what_is_behind_them(
    page: Page, live_server: LiveServer
) -> None:
    plant(live_server.context.database)
    add_user(live_server, "pat", Role.ANALYST)
    log_in(page, live_server, "pat", "/insight?window=90")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    _shot(page, "insight-overview")
    page.locator("#by-policy table a", has_text="spam").first.click()
    expect(page.get_by_role("heading", name="Policy: spam")).to_be_visible()
    expect(page.locator("[data-figure=content_actioned]")).to_have_text("2")
    _shot(page, "insight-policy")
    page.goto(live_server.url + "/insight?window=90")
    page.locator("a[data-figure=inflow]").click()
    expect(page).to_have_url(re.compile(r"/review/supervisor/jobs\?created_from="))
    expect(page.locator("#jobs-table tbody tr")).to_have_count(3)


@pytest.mark.parametrize(
    ("value", "previous", "expected"),
    [(3, 0, 3), (0, 3, -3), (0.25, 0.5, -0.25), (None, 2, None), (2, None, None), (5, 5, 0)],
)
def test_a_change_is_in_the_metrics_unit_and_missing_when_either_side_is(
    value: float | None, previous: float | None, expected: float | None
) -> None:
    from bastion.insight.dashboards.model import delta

    assert delta(value, previous) == expected
    assert isinstance(delta(3, 0), int) and isinstance(delta(0.25, 0.5), float)


def test_segments_link_to_their_own_dashboard_escaped_and_the_none_segment_to_nothing() -> None:
    from bastion.insight.dashboards.service import dashboard_path

    assert dashboard_path("policy", "hate_speech") == "/insight/policy/hate_speech"
    assert dashboard_path("country", "BR") == "/insight/market/BR"
    assert dashboard_path("queue", "a/b <c>") == "/insight/queue/a%2Fb%20%3Cc%3E"
    assert dashboard_path("queue", "(none)") is None
