"""A dashboard's charts drawn on the server (Vega-Lite through the shared `bastion.charts`), and the
same rows as CSV: the file a chart offers is exactly what it drew."""

from __future__ import annotations

import csv
import io

from bastion.charts import Bar, Chart, bars, grouped_columns
from bastion.insight.dashboards.model import ChartData

COLOURS = ("#2455c3", "#e08a1e")
CSV_COLUMNS = ("category", "series", "value")


def drawn(chart: ChartData, *, width: int = 560) -> Chart | None:
    """The chart as inline SVG, its bars linked; None when there is nothing above 0 to draw."""
    shown = [Bar(r.category, r.value, r.series, r.href, unit=r.series or "items") for r in chart.rows]
    series = list(dict.fromkeys(r.series for r in chart.rows))
    if chart.name == "daily":
        return grouped_columns(shown, value_title=chart.value_title, series=series, colours=COLOURS, width=width)
    return bars([Bar(b.category, b.value, "", b.href, unit=b.unit) for b in shown], value_title=chart.value_title)


def as_csv(chart: ChartData) -> str:
    """The chart's rows as CSV; a cell a spreadsheet would read as a formula is quoted with a `'`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in chart.rows:
        writer.writerow([_defused(row.category), _defused(row.series), row.value])
    return out.getvalue()


def _defused(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
