"""Pictures drawn on the server as SVG: the supervisor's charts, and stand-ins for unloadable images.

Charts are Vega-Lite specs built with altair and rendered offline by vl-convert; pages embed them as
`data:image/svg+xml` images, so nothing in them can run even if a label were hostile (an SVG shown
through <img> never runs script). Labels are data values, never parts of the spec's expressions, and
are stripped of control characters and shortened anyway.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bastion.errors import BastionError
from bastion.review.supervisor import BUCKET_LABELS, QueueHealth, ReviewerActivity

if TYPE_CHECKING:
    import altair as alt

BUCKET_COLOURS = ("#9ec5fe", "#4f8cff", "#f5a524", "#d92d20")  # fresh → stale: calm blues, then warnings
INK = "#1c2430"
MUTED = "#5f6b7a"
GRID = "#eef0f3"
# Liberation Sans has Arial's metrics: the server measures labels with the same widths the reader's
# browser draws them with (Liberation on Linux, Arial or Helvetica elsewhere), so none spill out.
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
LABEL_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def label(text: str) -> str:
    """A label safe and short enough for a chart axis."""
    clean = _CONTROL.sub(" ", text).strip()
    return clean if len(clean) <= LABEL_CHARS else clean[: LABEL_CHARS - 1] + "…"


def _theme(chart: alt.Chart, width: int) -> dict[str, Any]:
    spec: dict[str, Any] = (
        chart.properties(width=width)
        .configure(font=FONT, background="white", padding=8)
        .configure_axis(
            labelColor=INK, titleColor=MUTED, gridColor=GRID, domainColor="#c9ced6", labelFontSize=11, titleFontSize=11
        )
        .configure_legend(labelColor=INK, titleColor=MUTED, labelFontSize=11, titleFontSize=11, orient="bottom")
        .configure_view(stroke=None)
        .to_dict()
    )
    return spec


def render_svg(spec: dict[str, Any]) -> str:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])  # inline data only: never fetch anything
    if "<script" in svg.lower():  # vl-convert draws shapes and text only; refuse anything else
        raise BastionError("a chart came out with a script in it")
    return svg


def _count_axis(top: int) -> alt.Axis:
    """Whole-number ticks; a few small counts get one tick each, not 0, 0.5, 1 shown as "0 1 1"."""
    import altair as alt

    if top <= 10:
        return alt.Axis(values=list(range(top + 1)), format="d")
    return alt.Axis(tickMinStep=1, format="d")


def backlog_by_age(queues: Sequence[QueueHealth], width: int = 280) -> str | None:
    """Stacked bars: each queue's backlog by age bucket. None when there is no backlog at all."""
    order = {name: i for i, name in enumerate(BUCKET_LABELS)}
    rows = [
        {"queue": label(q.title), "age": bucket, "jobs": count, "order": order[bucket]}
        for q in queues
        for bucket, count in q.age_buckets.items()
        if count > 0
    ]
    if not rows:
        return None
    import altair as alt  # here, not at the top: it takes a second to import and most requests never chart

    buckets = list(BUCKET_LABELS)
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(height={"band": 0.7})
        .encode(
            y=alt.Y(
                "queue:N", title=None, sort=[label(q.title) for q in queues if q.backlog], axis=alt.Axis(labelLimit=170)
            ),
            x=alt.X("sum(jobs):Q", title="Jobs waiting", axis=_count_axis(max(q.backlog for q in queues))),
            color=alt.Color(
                "age:N", title="Age", sort=buckets, scale=alt.Scale(domain=buckets, range=list(BUCKET_COLOURS))
            ),
            order=alt.Order("order:Q"),
            tooltip=["queue:N", "age:N", "jobs:Q"],
        )
        .properties(height=alt.Step(26))
    )
    return render_svg(_theme(chart, width))


def decisions_per_reviewer(reviewers: Sequence[ReviewerActivity], width: int = 340, limit: int = 25) -> str | None:
    """Bars: decisions per reviewer in the window, busiest first. None when nobody decided anything."""
    top = [r for r in reviewers if r.decisions > 0][:limit]
    if not top:
        return None
    import altair as alt

    names = [label(r.reviewer) for r in top]
    rows = [
        {"reviewer": name, "decisions": r.decisions, "vendor": label(r.vendor or "in-house")}
        for name, r in zip(names, top, strict=True)
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(height={"band": 0.7}, color="#2455c3")
        .encode(
            y=alt.Y("reviewer:N", title=None, sort=names, axis=alt.Axis(labelLimit=140)),
            x=alt.X("decisions:Q", title="Decisions", axis=_count_axis(max(r.decisions for r in top))),
            tooltip=["reviewer:N", "vendor:N", "decisions:Q"],
        )
        .properties(height=alt.Step(22))
    )
    return render_svg(_theme(chart, width))


def svg_data_uri(svg: str) -> str:
    """An <img>-ready URI: images never run script, and the page's CSP allows data: images."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def placeholder_svg(seed: str, *, cells: int = 16) -> str:
    """A deterministic picture for an image the console cannot load, drawn from its PDQ hash.

    The 256 bits of a PDQ hash fill a 16 x 16 grid: two images with near hashes get near pictures, and
    a reviewer sees that there is an image without the console fetching it. Without a hash, any text
    (the media URL) seeds it through SHA-256.
    """
    digits = seed.lower() if re.fullmatch(r"[0-9a-fA-F]{64}", seed) else hashlib.sha256(seed.encode()).hexdigest()
    bits = bin(int(digits, 16))[2:].zfill(256)
    hue = int(digits[:4], 16) % 360
    size = 16
    squares = "".join(
        f'<rect x="{(i % cells) * size}" y="{(i // cells) * size}" width="{size}" height="{size}"/>'
        for i, bit in enumerate(bits[: cells * cells])
        if bit == "1"
    )
    span = cells * size
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {span} {span}" width="{span}" height="{span}">'
        f'<rect width="{span}" height="{span}" fill="hsl({hue},45%,82%)"/>'
        f'<g fill="hsl({(hue + 40) % 360},55%,38%)">{squares}</g></svg>'
    )
