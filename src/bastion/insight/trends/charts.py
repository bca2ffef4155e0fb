"""The chart of a trend alert: its segment's counts around the change, with a rule where it was detected.
Rendered on the server as SVG by Vega-Lite (`bastion.charts`), from numbers and times only."""

from __future__ import annotations

from typing import Any

from bastion.charts import FONT, GRID, INK, MUTED, Chart, drawn
from bastion.insight.trends.views import AlertView


def alert_chart(alert: AlertView, *, width: int = 460, height: int = 120) -> Chart | None:
    """The series evidence of a spike or level shift as a line, the detection as a red rule; None for a term."""
    points = alert.evidence.get("series")
    if not isinstance(points, list) or not points:
        return None
    import altair as alt

    rows = [{"at": str(p["at"]), "count": int(p["count"])} for p in points if isinstance(p, dict)]
    x = alt.X("at:T", title=None, axis=alt.Axis(format="%d %b %H:%M", labelAngle=0, tickCount=5))
    line = alt.Chart(alt.InlineData(values=rows)).mark_line(color="#2455c3", interpolate="step-after")
    layers: list[Any] = [
        line.encode(x=x, y=alt.Y("count:Q", title=f"{alert.metric} per {alert.evidence.get('grain', 'hour')}"))
    ]
    marker = alt.Chart(alt.InlineData(values=[{"at": alert.at.isoformat()}])).mark_rule(
        color="#b42318", strokeDash=[4, 3]
    )
    layers.append(marker.encode(x="at:T"))
    spec: dict[str, Any] = (
        alt.layer(*layers)
        .properties(width=width, height=height)
        .configure(font=FONT, background="white", padding=8)
        .configure_axis(
            labelColor=INK, titleColor=MUTED, gridColor=GRID, domainColor="#c9ced6", labelFontSize=11, titleFontSize=11
        )
        .configure_view(stroke=None)
        .to_dict()
    )
    return drawn(spec)
