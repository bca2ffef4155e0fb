"""What a dashboard shows, as plain data: its figures with their previous period, its breakdowns, and
the rows behind each chart. One view model serves the page, its CSV and its JSON twin. Nothing here
loads the metrics layer (Ibis, pandas): the pages' routes import this at start-up.

A dashboard is the overview (the whole platform) or one segment of it: a policy, a market (country)
or a queue. Its window is the last 7, 28 or 90 days up to now, and every figure carries the same
figure over the window just before it, so the change is read against a period of the same length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bastion.errors import FieldError, InvalidInput

# kind -> (the segment it narrows to, its title); the overview narrows to nothing.
KINDS: dict[str, tuple[str | None, str]] = {
    "overview": (None, "Overview"),
    "policy": ("policy", "Policy"),
    "market": ("country", "Market"),
    "queue": ("queue", "Queue"),
}
WINDOWS = (7, 28, 90)
DEFAULT_WINDOW = 28
# Each dashboard is split by the other segments.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "overview": ("policy", "country", "queue"),
    "policy": ("country", "queue"),
    "market": ("policy", "queue"),
    "queue": ("policy", "country"),
}
SEGMENT_TITLES = {"policy": "Policy", "country": "Market", "queue": "Queue"}
SEGMENT_KINDS = {"policy": "policy", "country": "market", "queue": "queue"}
SUBJECT_CHARS = 128

Number = int | float | None


@dataclass(frozen=True)
class Figure:
    """One headline number: this window's value, the previous window's, the change (None when either
    is missing, and for the backlog, a count at this moment) and what it opens."""

    metric: str
    column: str
    title: str
    unit: str
    kind: str  # count, rate or quantity (see the metrics layer)
    value: Number
    previous: Number
    delta: Number
    href: str | None


@dataclass(frozen=True)
class BreakdownRow:
    segment: str
    href: str | None  # that segment's own dashboard; None for "(none)"
    values: dict[str, Number]


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    title: str
    columns: list[str]
    rows: list[BreakdownRow]


@dataclass(frozen=True)
class ChartRow:
    """One bar of a chart, and one row of its CSV: the category (a day, a segment), the series, the
    value and what the bar opens."""

    category: str
    series: str
    value: int
    href: str | None


@dataclass(frozen=True)
class ChartData:
    name: str  # in addresses: ?format=csv&chart=<name>
    title: str
    value_title: str
    rows: list[ChartRow]


@dataclass(frozen=True)
class Dashboard:
    kind: str
    subject: str | None  # the policy, country or queue; None on the overview
    title: str
    days: int
    since: datetime
    until: datetime
    previous_since: datetime
    figures: list[Figure]
    breakdowns: list[Breakdown]
    charts: list[ChartData]
    generated_at: datetime
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing counted in the window (the backlog, a count at this moment, aside)."""
        return all(f.value in (None, 0) for f in self.figures if f.metric != "backlog")

    def chart(self, name: str) -> ChartData:
        for chart in self.charts:
            if chart.name == name:
                return chart
        known = ", ".join(c.name for c in self.charts)
        raise InvalidInput("no such chart", [FieldError("chart", f"no chart named {name!r} here (charts: {known})")])


def checked(kind: str, subject: str | None, days: int | None = None) -> str | None:
    """The segment the kind narrows to, or one error naming every bad field (and the window of `days`,
    when the window is given in days)."""
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(FieldError("kind", f"no dashboard {kind!r} (dashboards: {', '.join(KINDS)})"))
    elif KINDS[kind][0] is None and subject is not None:
        errors.append(FieldError("subject", "the overview is of the whole platform: it takes no subject"))
    elif KINDS[kind][0] is not None and not (subject or "").strip():
        errors.append(FieldError("subject", f"name the {KINDS[kind][1].lower()} this dashboard is of"))
    if subject is not None and len(subject) > SUBJECT_CHARS:
        errors.append(FieldError("subject", f"at most {SUBJECT_CHARS} characters"))
    elif subject is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in subject):
        errors.append(FieldError("subject", "has a control character: no policy, country or queue has one"))
    if days is not None and days not in WINDOWS:
        errors.append(FieldError("window", f"must be one of {', '.join(map(str, WINDOWS))} (days)"))
    if errors:
        raise InvalidInput("this dashboard cannot be shown as asked", errors)
    return KINDS[kind][0]


def delta(value: Number, previous: Number) -> Number:
    """The change from the previous window: in the metric's unit (a rate's in points of its share)."""
    if value is None or previous is None:
        return None
    change = value - previous
    return int(change) if isinstance(value, int) and isinstance(previous, int) else float(change)
