"""Providers: one module per kind of recommendation, each a function of the store and a time window that
returns candidates with their impact in items per week (see `bastion.insight.recommend.model`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bastion.insight.recommend.model import Candidate
from bastion.store.database import Database

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """The period the figures are computed over, [start, end)."""

    start: datetime
    end: datetime

    @property
    def weeks(self) -> float:
        return max((self.end - self.start) / WEEK, 1 / 7)

    @property
    def hours(self) -> float:
        return max((self.end - self.start).total_seconds() / 3600.0, 1.0)


Provider = Callable[[Database, Window], list[Candidate]]
