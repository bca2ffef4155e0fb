"""The console's quick chart: one column against another, drawn on the server as a Vega-Lite SVG.

The y column must be numeric. A time or number on x draws a line in x order; anything else draws bars in
the result's own order (the query's ORDER BY decides), the first `MAX_BARS` of them. Values are data,
never parts of the spec's expressions, and text labels are cleaned and shortened (`charts.label`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.charts import FONT, GRID, INK, MUTED, Chart, drawn, label
from bastion.errors import FieldError, InvalidInput
from bastion.insight.sql.engine import QueryResult

MAX_POINTS = 2_000
MAX_BARS = 50
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "DECIMAL")  # fmt: skip
TEMPORAL = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


@dataclass(frozen=True)
class ChartChoice:
    x: str
    y: str


def is_numeric(type_name: str) -> bool:
    return type_name.startswith(NUMERIC)


def quick_chart(result: QueryResult, choice: ChartChoice) -> Chart | None:
    """The chart of `choice.y` over `choice.x`; None when no row has a value to draw."""
    names = [c.name for c in result.columns]
    problems = [FieldError(f, f"no column '{v}' in the result") for f, v in (("x", choice.x), ("y", choice.y))
                if v not in names]  # fmt: skip
    if problems:
        raise InvalidInput("the chart cannot be drawn", problems)
    xi, yi = names.index(choice.x), names.index(choice.y)
    x_type, y_type = result.columns[xi].type, result.columns[yi].type
    if not is_numeric(y_type):
        raise InvalidInput("the chart cannot be drawn", [FieldError("y", f"'{choice.y}' is {y_type}, not a number")])
    import altair as alt

    line = is_numeric(x_type) or x_type.startswith(TEMPORAL)
    points = [(row[xi], row[yi]) for row in result.rows if row[yi] is not None and row[xi] is not None]
    points = points[:MAX_POINTS] if line else points[:MAX_BARS]
    if not points:
        return None
    if line:
        kind = "T" if x_type.startswith(TEMPORAL) else "Q"
        values: list[dict[str, Any]] = [{"x": x, "y": float(y)} for x, y in points]
        x = alt.X(f"x:{kind}", title=label(choice.x))
        mark = alt.Chart(alt.InlineData(values=values)).mark_line(point=len(points) <= 100, color="#2455c3")
        chart = mark.encode(x=x, y=alt.Y("y:Q", title=label(choice.y)))
    else:
        values = [{"x": f"{i + 1:03d} {label(str(x))}", "label": label(str(x)), "y": float(y)}
                  for i, (x, y) in enumerate(points)]  # fmt: skip
        order = [v["x"] for v in values]
        axis = alt.Axis(labelExpr="substring(datum.label, 4)", labelLimit=220)
        y_axis = alt.Y("x:N", title=label(choice.x), sort=order, axis=axis)
        mark = alt.Chart(alt.InlineData(values=values)).mark_bar(color="#2455c3")
        chart = mark.encode(y=y_axis, x=alt.X("y:Q", title=label(choice.y)))
    spec: dict[str, Any] = (
        chart.properties(width=560, height=240 if line else min(18 * len(points), 900))
        .configure(font=FONT, background="white", padding=8)
        .configure_axis(labelColor=INK, titleColor=MUTED, gridColor=GRID, domainColor="#c9ced6", labelFontSize=11,
                        titleFontSize=11)
        .configure_view(stroke=None)
        .to_dict()
    )  # fmt: skip
    return drawn(spec)
