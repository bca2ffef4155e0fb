"""Simulated time: offsets in whole seconds from the spec's start, printed as ISO-8601 UTC."""

from __future__ import annotations

from datetime import datetime, timedelta

from bastion.simulate.geography import COUNTRIES, activity

HOUR = 3_600
DAY = 86_400


class Clockface:
    """Formats second offsets from `start` as `YYYY-MM-DDTHH:MM:SSZ`, quickly (one prefix per hour)."""

    __slots__ = ("_hours", "_prefixes", "start")

    def __init__(self, start: datetime, hours: int) -> None:
        self.start = start
        self._hours = hours
        self._prefixes: dict[int, str] = {}

    def iso(self, offset: int) -> str:
        """The ISO-8601 UTC time `offset` seconds after the start (negative: before it)."""
        hour, rest = divmod(offset, HOUR)
        prefix = self._prefixes.get(hour)
        if prefix is None:
            prefix = (self.start + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:")
            if 0 <= hour < self._hours:
                self._prefixes[hour] = prefix
        minute, second = divmod(rest, 60)
        return f"{prefix}{minute:02d}:{second:02d}Z"

    def date(self, day: int) -> str:
        """The calendar date (YYYY-MM-DD) of day `day` of the run."""
        return (self.start + timedelta(days=day)).date().isoformat()


def hourly_volume(start: datetime, hours: int, total: int) -> list[list[float]]:
    """Expected new content items per country (outer) and hour of the run (inner), summing to `total`.

    Each country follows its own local day (diurnal curve) and week (busier weekends).
    """
    first = start.weekday() * 24 + start.hour
    raw = [[activity(country, (first + h) % 168) for h in range(hours)] for country in COUNTRIES]
    scale = total / sum(sum(row) for row in raw)
    return [[value * scale for value in row] for row in raw]
