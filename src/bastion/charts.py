"""Charts drawn on the server as SVG, shared by every area's pages; and stand-ins for unloadable images.

Charts are Vega-Lite specs built with altair and rendered offline by vl-convert. Each bar can carry
the address of the jobs behind it: vl-convert gives every bar an `aria-label` (the bar's description,
unique within its chart), and `_linked` wraps each bar in an `<a>` to its address, with a `<title>`
for the tooltip. The page embeds the SVG inline so that the bars can be followed.

Inline SVG is markup on the page, so it is checked, not trusted: `_checked` parses the SVG and refuses
any element or attribute outside a short list of drawing ones (no script, no event handler, no style,
no foreign object), and any link that is not a path on this site. Labels are data values, never
parts of the spec's expressions, and are stripped of control characters and shortened anyway.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from bastion.errors import BastionError

if TYPE_CHECKING:
    import altair as alt

INK = "#1c2430"
MUTED = "#5f6b7a"
GRID = "#eef0f3"
# Liberation Sans has Arial's metrics: the server measures labels with the same widths the reader's
# browser draws them with (Liberation on Linux, Arial or Helvetica elsewhere), so none spill out.
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
LABEL_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
ElementTree.register_namespace("", _SVG)
ElementTree.register_namespace("xlink", _XLINK)
_DRAWING = {"svg", "g", "path", "rect", "line", "text", "a", "title", "defs", "clipPath", "circle", "tspan"}
_ATTRIBUTES = {
    "xmlns", "version", "class", "width", "height", "viewBox", "transform", "d", "fill", "stroke",
    "stroke-width", "stroke-miterlimit", "stroke-opacity", "fill-opacity", "opacity", "x", "y", "x1", "y1",
    "x2", "y2", "r", "cx", "cy", "role", "aria-label", "aria-roledescription", "aria-hidden", "pointer-events",
    "display", "text-anchor", "font-family", "font-size", "font-weight", "font-style", "clip-path", "id",
    "href", "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "dominant-baseline",
}  # fmt: skip


@dataclass(frozen=True)
class Chart:
    """An SVG ready to sit inline in a page: checked, with its bars linked. Jinja prints it as is."""

    svg: str

    def __html__(self) -> str:
        return self.svg


@dataclass(frozen=True)
class Bar:
    """One bar (or one piece of a stacked bar): where it goes, how long it is, and what it opens."""

    category: str  # the axis label: a queue, a reviewer, a period
    value: int
    series: str = ""  # the colour: an SLA state, a flow (inflow or decided)
    href: str | None = None  # a path on this site: the jobs behind the bar
    unit: str = "jobs"


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


def _rows(bars: Sequence[Bar]) -> tuple[list[dict[str, Any]], dict[str, tuple[str | None, str]]]:
    """Chart rows, each with a description unique in the chart, and {description: (href, tooltip)}."""
    rows, links = [], {}
    for i, bar in enumerate(bars):
        name, series = label(bar.category), label(bar.series)
        tooltip = f"{name}{', ' + series if series else ''}: {bar.value:,} {bar.unit}"
        key = f"{tooltip} #{i}"
        rows.append({"category": name, "series": series, "value": bar.value, "order": i, "key": key})
        links[key] = (bar.href, tooltip)
    return rows, links


def stacked_bars(
    bars: Sequence[Bar],
    *,
    value_title: str,
    series: Sequence[str],
    colours: Sequence[str],
    series_title: str,
    width: int = 300,
) -> Chart | None:
    """Horizontal bars, one per category in the order first seen, stacked by series. None when all are 0."""
    shown = [b for b in bars if b.value > 0]
    if not shown:
        return None
    import altair as alt  # here, not at the top: it takes a second to import and most requests never chart

    rows, links = _rows(shown)
    categories = list(dict.fromkeys(r["category"] for r in rows))
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["category"]] = totals.get(r["category"], 0) + r["value"]
    names = [label(s) for s in series]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(height={"band": 0.7})
        .encode(
            y=alt.Y("category:N", title=None, sort=categories, axis=alt.Axis(labelLimit=170)),
            x=alt.X("value:Q", title=value_title, stack="zero", axis=_count_axis(max(totals.values()))),
            color=alt.Color(
                "series:N", title=series_title, sort=names, scale=alt.Scale(domain=names, range=list(colours))
            ),
            order=alt.Order("order:Q"),
            description="key:N",
        )
        .properties(height=alt.Step(26))
    )
    return _linked(render_svg(_theme(chart, width)), links)


def bars(bars: Sequence[Bar], *, value_title: str, colour: str = "#2455c3", width: int = 300) -> Chart | None:
    """Horizontal bars in the given order. None when there are none above 0."""
    shown = [b for b in bars if b.value > 0]
    if not shown:
        return None
    import altair as alt

    rows, links = _rows(shown)
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(height={"band": 0.7}, color=colour)
        .encode(
            y=alt.Y("category:N", title=None, sort=[r["category"] for r in rows], axis=alt.Axis(labelLimit=140)),
            x=alt.X("value:Q", title=value_title, axis=_count_axis(max(b.value for b in shown))),
            description="key:N",
        )
        .properties(height=alt.Step(22))
    )
    return _linked(render_svg(_theme(chart, width)), links)


def grouped_columns(
    bars: Sequence[Bar],
    *,
    value_title: str,
    series: Sequence[str],
    colours: Sequence[str],
    width: int = 560,
    height: int = 160,
) -> Chart | None:
    """Columns per category (in the given order), one per series side by side. None when all are 0."""
    if not any(b.value > 0 for b in bars):
        return None
    import altair as alt

    rows, links = _rows(bars)
    categories = list(dict.fromkeys(r["category"] for r in rows))
    names = [label(s) for s in series]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("category:N", title=None, sort=categories, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            xOffset=alt.XOffset("series:N", sort=names),
            y=alt.Y("value:Q", title=value_title, axis=_count_axis(max(b.value for b in bars))),
            color=alt.Color("series:N", title=None, sort=names, scale=alt.Scale(domain=names, range=list(colours))),
            description="key:N",
        )
        .properties(height=height)
    )
    return _linked(render_svg(_theme(chart, width)), links)


def _linked(svg: str, links: dict[str, tuple[str | None, str]]) -> Chart:
    """Wrap each bar in a link to the jobs behind it, with its tooltip; then check the whole."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - vl-convert's own output, not a user's document
    parents = {child: parent for parent in root.iter() for child in parent}
    for bar in [e for e in root.iter(f"{{{_SVG}}}path") if e.get("aria-roledescription") == "bar"]:
        key = bar.get("aria-label", "")
        href, tooltip = links.get(key, (None, key))
        bar.set("aria-label", tooltip)
        parent = parents[bar]
        if href is None:
            continue
        anchor = ElementTree.Element(f"{{{_SVG}}}a", {"href": href, "class": "chart-link"})
        ElementTree.SubElement(anchor, f"{{{_SVG}}}title").text = tooltip
        index = list(parent).index(bar)
        parent.remove(bar)
        anchor.append(bar)
        parent.insert(index, anchor)
    root.set("class", "chart")  # CSS shrinks it to narrow cards; the viewBox keeps its shape
    return Chart(_checked(root))


def _checked(root: ElementTree.Element) -> str:
    for element in root.iter():
        namespace, _, tag = element.tag.rpartition("}")
        if namespace.lstrip("{") != _SVG or tag not in _DRAWING:
            raise BastionError(f"a chart came out with a <{tag}> element in it")
        for name, value in element.attrib.items():
            if name.rpartition("}")[2] not in _ATTRIBUTES or name.startswith(f"{{{_XLINK}}}"):
                raise BastionError(f"a chart came out with a {name} attribute in it")
            if name == "href" and not (value.startswith("/") and not value.startswith("//")):
                raise BastionError("a chart links outside this site")
    return ElementTree.tostring(root, encoding="unicode")


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


def sparkline(values: Sequence[int], *, label: str, width: int = 120, height: int = 24) -> Chart:
    """A small line of counts over time (oldest first), for a table cell; `label` is read out to screen
    readers. Drawn by hand: numbers only, nothing from the outside reaches the SVG but through escape."""
    top = max(values, default=0) or 1
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{index * step:.1f},{height - 2 - (value / top) * (height - 4):.1f}" for index, value in enumerate(values)
    )
    title = escape(label)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{title}"><title>{title}</title>'
        f'<polyline fill="none" stroke="#2455c3" stroke-width="1.5" points="{points}"/></svg>'
    )
    return Chart(svg)


@dataclass(frozen=True)
class Cell:
    """One cell of a matrix chart: its row, its column and its count."""

    row: str
    column: str
    value: int


def matrix(
    cells: Sequence[Cell], *, order: Sequence[str], row_title: str, column_title: str, width: int = 420
) -> Chart | None:
    """A heat map of counts (rows and columns in `order`), each cell labelled. None when all are 0."""
    if not any(c.value > 0 for c in cells):
        return None
    import altair as alt

    names = [label(n) for n in order]
    rows = [
        {"row": label(c.row), "column": label(c.column), "value": c.value, "key": f"{label(c.row)} → {label(c.column)}"}
        for c in cells
    ]
    top = max(c.value for c in cells)
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("row:N", title=row_title, sort=names, axis=alt.Axis(labelLimit=170)),
        x=alt.X("column:N", title=column_title, sort=names, axis=alt.Axis(labelAngle=-40, labelLimit=170)),
    )
    squares = base.mark_rect().encode(
        # No legend: each cell says its count (and a gradient legend would need markup the check refuses).
        color=alt.Color("value:Q", scale=alt.Scale(scheme="blues", domain=[0, top]), legend=None),
        description="key:N",
    )
    counts = base.mark_text(fontSize=10).encode(
        text=alt.Text("value:Q", format=","),
        color=alt.condition(alt.datum.value > top / 2, alt.value("white"), alt.value(INK)),
    )
    step = max(22, min(40, 480 // max(1, len(names))))
    layered = (squares + counts).properties(width=alt.Step(step), height=alt.Step(step))
    spec: dict[str, Any] = (
        layered.configure(font=FONT, background="white", padding=8)
        .configure_axis(labelColor=INK, titleColor=MUTED, domainColor="#c9ced6", labelFontSize=11, titleFontSize=11)
        .configure_legend(labelColor=INK, titleColor=MUTED, labelFontSize=11, titleFontSize=11, orient="bottom")
        .configure_view(stroke=None)
        .to_dict()
    )
    return _drawn(render_svg(spec))


@dataclass(frozen=True)
class Rate:
    """One point of a rate over time: the period's label, the rate and its interval (0 to 1), or None."""

    period: str
    value: float | None
    low: float | None
    high: float | None


def rate_over_time(
    points: Sequence[Rate], *, value_title: str, floor: float | None = None, width: int = 520, height: int = 150
) -> Chart | None:
    """A line of a rate per period with its interval as a band (and `floor` as a dashed rule). None when
    no period has a value."""
    shown = [p for p in points if p.value is not None]
    if not shown:
        return None
    import altair as alt

    rows = [
        {"period": label(p.period), "value": p.value, "low": p.low, "high": p.high, "order": i}
        for i, p in enumerate(points)
        if p.value is not None
    ]
    periods = [label(p.period) for p in points]
    x = alt.X("period:N", title=None, sort=periods, scale=alt.Scale(domain=periods), axis=alt.Axis(labelAngle=0))
    scale = alt.Scale(domain=[0, 1])
    base = alt.Chart(alt.InlineData(values=rows))
    band = base.mark_area(opacity=0.18, color="#2455c3").encode(
        x=x, y=alt.Y("low:Q", title=value_title, scale=scale, axis=alt.Axis(format="%")), y2="high:Q"
    )
    line = base.mark_line(point=True, color="#2455c3").encode(x=x, y=alt.Y("value:Q", scale=scale))
    layers: list[Any] = [band, line]
    if floor is not None:
        rule = alt.Chart(alt.InlineData(values=[{"floor": floor}])).mark_rule(color="#b42318", strokeDash=[4, 3])
        layers.append(rule.encode(y=alt.Y("floor:Q", scale=scale)))
    chart = alt.layer(*layers).properties(width=width, height=height)
    spec: dict[str, Any] = (
        chart.configure(font=FONT, background="white", padding=8)
        .configure_axis(
            labelColor=INK, titleColor=MUTED, gridColor=GRID, domainColor="#c9ced6", labelFontSize=11, titleFontSize=11
        )
        .configure_view(stroke=None)
        .to_dict()
    )
    return _drawn(render_svg(spec))


def _drawn(svg: str) -> Chart:
    """A chart without links: checked like the linked ones."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - vl-convert's own output, not a user's document
    root.set("class", "chart")
    return Chart(_checked(root))


def drawn(spec: dict[str, Any]) -> Chart:
    """A chart from any Vega-Lite spec (inline data only): rendered, then checked like every other."""
    return _drawn(render_svg(spec))
