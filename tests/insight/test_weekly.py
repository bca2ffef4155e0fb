"""The weekly report: its numbers are `compute(...)`'s for the week and the week before; the file is
self-contained (no reference outside it) and escapes whatever came from the store; `bastion report
weekly` writes it whole, and refuses bad arguments naming them.

The store is the hand-counted one of the metrics tests: everything happens on 2026-10-05 and 06, so the
week ending 2026-10-11 holds it all and the week before nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bastion.clock import FrozenClock
from bastion.insight.dashboards.service import HEADLINE
from bastion.insight.metrics import METRICS, compute, open_store
from bastion.insight.weekly import RecommendationLine, render, weekly_report
from bastion.insight.weekly.report import week_of
from bastion.store.database import Database
from bastion.store.schema.insight import TrendAlert
from tests.cli.test_cli import bastion
from tests.insight.metrics.handmade import plant

WEEK_ENDING = date(2026, 10, 11)
HOSTILE = '<script>alert("x")</script><img src="https://evil.example/x.png">'
FETCHING_TAGS = {"link", "script", "iframe", "object", "embed", "img", "image", "use", "base", "meta"}


class _References(HTMLParser):
    """What in a document would make a browser fetch or run something: tags that load, attributes that
    point elsewhere, and CSS that imports or loads a url()."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag in FETCHING_TAGS and not (tag == "meta" and names <= {"charset", "name", "content"}):
            self.found.append(f"<{tag}>")
        self.found += [f"{tag} {n}" for n in names if n in ("src", "href", "xlink:href", "srcset", "action", "style")]
        self.found += [f"{tag} {n}" for n in names if n.startswith("on")]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and re.search(r"url\s*\(|@import", data, re.I):
            self.found.append("css that loads")


def external_references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.found


def _plant_trend(database: Database, segment: str) -> None:
    with database.transaction() as session:
        session.add(
            TrendAlert(
                kind="spike",
                metric="content_actioned",
                segment_key=segment,
                segment={"policy": segment},
                at=datetime(2026, 10, 6, 0, 0, tzinfo=UTC),
                score=0.93,
                evidence={},
                detected_at=datetime(2026, 10, 7, 0, 0, tzinfo=UTC),
            )
        )


def test_the_headline_numbers_are_computes_for_the_week_and_the_week_before(
    database: Database, clock: FrozenClock
) -> None:
    plant(database)
    report = weekly_report(database, week_ending=WEEK_ENDING, now=clock(), recommendations=[])
    start, end = week_of(WEEK_ENDING)
    assert (start, end) == (datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC))
    with open_store(database) as backend:
        week = compute(backend, list(HEADLINE), since=start, until=end).iloc[0]
        before = compute(backend, list(HEADLINE), since=start - (end - start), until=start).iloc[0]
    figures = {f.column: f for f in report.overview.figures}
    assert set(figures) == {c for n in HEADLINE for c in METRICS[n].columns}
    for column, figure in figures.items():
        for found, expected in ((figure.value, week[column]), (figure.previous, before[column])):
            if figure.metric == "backlog" and found is figure.previous:
                assert found is None
            elif isinstance(expected, float) and math.isnan(expected):
                assert found is None, column
            else:
                assert found is not None and math.isclose(float(found), float(expected)), column
    assert figures["content_actioned"].value == 3 and figures["content_actioned"].delta == 3
    html = render(report)
    shown = {
        m.group(1): unescape(m.group(2)) for m in re.finditer(r'data-figure="(\w+)"><div class="value">([^<]*)<', html)
    }
    assert shown["content_actioned"] == "3" and shown["inflow"] == "3" and shown["proactive_rate"] == "66.7%"
    assert shown["prevalence"] == "10.0%" and shown["handle_time"] == "60 s"


def test_the_file_is_self_contained_and_escapes_hostile_text(sqlite_database: Database, clock: FrozenClock) -> None:
    plant(sqlite_database)
    _plant_trend(sqlite_database, HOSTILE)
    recommendation = RecommendationLine(1, "investigate_spike", HOSTILE, HOSTILE, HOSTILE)
    report = weekly_report(sqlite_database, week_ending=WEEK_ENDING, now=clock(), recommendations=[recommendation])
    html = render(report)
    assert report.trends and report.trends[0].segment == HOSTILE
    assert external_references(html) == []
    assert "<svg" in html and "<style>" in html  # the charts and the CSS are in the file itself
    assert "evil.example" in html  # the hostile text is there, as text
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 4  # the trend, the title, subject, effect


def test_an_empty_week_and_no_recommendations_service_say_so(sqlite_database: Database, clock: FrozenClock) -> None:
    plant(sqlite_database)
    report = weekly_report(sqlite_database, week_ending=date(2026, 9, 20), now=clock(), recommendations=[])
    html = render(replace(report, recommendations=None))
    assert "Nothing was counted this week" in html
    assert "No trend alerts began this week" in html
    assert "No recommendations available" in html
    assert "No recommendations this week" in render(report)


def test_bastion_report_weekly_writes_the_file(sqlite_database: Database, tmp_path: Path) -> None:
    plant(sqlite_database)
    (tmp_path / "reports").mkdir()
    out = tmp_path / "reports" / "week.html"
    found = bastion("report", "weekly", "--week-ending", "2026-10-11", "--out", str(out), url=sqlite_database.url)
    assert found.returncode == 0, found.stderr
    html = out.read_text(encoding="utf-8")
    assert "2026-10-05 to 2026-10-11" in html and external_references(html) == []
    assert [p.name for p in out.parent.iterdir()] == ["week.html"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--week-ending", "last friday"], "--week-ending: 'last friday' is not a date"),
        (["--week-ending", "2999-01-01"], "--week-ending: 2999-01-01 is in the future"),
        (["--out-folder"], "no such option: --out-folder"),
    ],
)
def test_bad_arguments_are_named(sqlite_database: Database, tmp_path: Path, arguments: list[str], said: str) -> None:
    found = bastion("report", "weekly", "--out", str(tmp_path / "w.html"), *arguments, url=sqlite_database.url)
    assert found.returncode == 2, found.stdout
    assert said in found.stderr
    assert not (tmp_path / "w.html").exists()


def test_a_folder_is_not_a_file(sqlite_database: Database, tmp_path: Path) -> None:
    found = bastion("report", "weekly", "--week-ending", "2026-10-11", "--out", str(tmp_path), url=sqlite_database.url)
    assert found.returncode == 2 and "--out: " in found.stderr and "is a folder" in found.stderr
