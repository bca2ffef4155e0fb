"""The weekly report: headline metrics with their change against the week before, the week's trend
alerts, the top recommendations and charts, as one HTML file readable offline.

The week is the seven UTC days ending on `week_ending` (inclusive). Its figures are the overview
dashboard's over exactly that week (`dashboards.dashboard_between`, so `compute(...)`'s numbers); the
trends are the `trend_alerts` rows that began in the week, surest first; the recommendations are
passed in, or asked of the recommendations service when it is installed (otherwise the report says
none are available). The file carries its own CSS and inline SVG charts, no script, no link out:
everything in it that came from the store is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy import select

from bastion.charts import Chart
from bastion.errors import FieldError, InvalidInput
from bastion.insight.dashboards.charts import drawn
from bastion.insight.dashboards.model import ChartData, ChartRow, Dashboard
from bastion.insight.dashboards.service import dashboard_between
from bastion.insight.metrics import METRICS
from bastion.store.database import Database
from bastion.store.schema.insight import TrendAlert

TOP_TRENDS = 10
TOP_RECOMMENDATIONS = 10


@dataclass(frozen=True)
class TrendLine:
    kind: str
    metric: str
    segment: str
    at: datetime
    score: float


@dataclass(frozen=True)
class RecommendationLine:
    rank: int
    kind: str
    title: str
    subject: str
    expected_effect: str


@dataclass(frozen=True)
class WeeklyReport:
    week_ending: date
    overview: Dashboard
    trends: list[TrendLine]
    recommendations: list[RecommendationLine] | None  # None: no recommendations service available
    charts: dict[str, Chart | None]
    generated_at: datetime


def week_of(week_ending: date) -> tuple[datetime, datetime]:
    """The seven UTC days ending on `week_ending`, inclusive: [start, end)."""
    end = datetime.combine(week_ending + timedelta(days=1), time.min, tzinfo=UTC)
    return end - timedelta(days=7), end


def last_full_day(now: datetime) -> date:
    """The default week ends yesterday (UTC): today is not over."""
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def weekly_report(
    database: Database,
    *,
    week_ending: date,
    now: datetime,
    recommendations: Sequence[RecommendationLine] | None = None,
) -> WeeklyReport:
    start, end = week_of(week_ending)
    if start >= now:
        raise InvalidInput(
            "that week has not begun", [FieldError("--week-ending", f"{week_ending.isoformat()} is in the future")]
        )
    overview = dashboard_between(database, "overview", since=start, until=end, now=now)
    with database.transaction() as session:
        rows = session.scalars(
            select(TrendAlert)
            .where(TrendAlert.at >= start, TrendAlert.at < end)
            .order_by(TrendAlert.score.desc(), TrendAlert.at, TrendAlert.pk)
            .limit(TOP_TRENDS)
        ).all()
        trends = [TrendLine(r.kind, r.metric, r.segment_key, r.at, r.score) for r in rows]
    found = list(recommendations) if recommendations is not None else _recommendations(database, end)
    charts = {c.name: drawn(_offline(c), width=520) for c in overview.charts[:2]}
    return WeeklyReport(week_ending, overview, trends, found[:TOP_RECOMMENDATIONS] if found is not None else None,
                        charts, now)  # fmt: skip


def _offline(chart: ChartData) -> ChartData:
    """The chart without links: the file is read away from the site its addresses belong to."""
    rows = [ChartRow(r.category, r.series, r.value, None) for r in chart.rows]
    return ChartData(chart.name, chart.title, chart.value_title, rows)


def _recommendations(database: Database, now: datetime) -> list[RecommendationLine] | None:
    """The recommendations service's top list when it is installed; None when it is not."""
    try:
        service: Any = importlib.import_module("bastion.insight.recommend.service")
    except ImportError:
        return None
    found = service.recommendations(database, now=now, days=7)
    return [
        RecommendationLine(int(r.rank), str(r.kind), str(r.title), str(r.subject), str(r.expected_effect))
        for r in found[:TOP_RECOMMENDATIONS]
    ]


_environment = Environment(
    # The page's own template, and the number formats the dashboards' pages use.
    loader=ChoiceLoader([PackageLoader("bastion.insight.weekly", "."), PackageLoader("bastion.web", "templates")]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(report: WeeklyReport) -> str:
    """The report as one HTML document."""
    template = _environment.get_template("weekly.html")
    start, end = week_of(report.week_ending)
    return template.render(report=report, start=start, end=end, last_day=end - timedelta(days=1), metrics=METRICS)


def write_report(report: WeeklyReport, out: Path) -> Path:
    """Write the report to `out` whole or not at all (a temporary file beside it, then renamed)."""
    if out.is_dir():
        raise InvalidInput("cannot write the report", [FieldError("--out", f"{out} is a folder, not a file")])
    if not out.parent.exists():
        raise InvalidInput("cannot write the report", [FieldError("--out", f"the folder {out.parent} does not exist")])
    text = render(report)
    handle, temporary = tempfile.mkstemp(prefix=".weekly-", suffix=".html", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        Path(temporary).replace(out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out
