"""The clock, injected wherever time matters so that SLA, lease and sampling logic can be tested."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive values (as SQLite returns them) are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_midnight(moment: datetime) -> datetime:
    """The start of the UTC day `moment` falls in: where daily limits such as exposure caps reset."""
    return as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)
