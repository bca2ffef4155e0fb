"""Segment series: counts per segment and period, every period present, keys sorted by dimension."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bastion.errors import InvalidInput
from bastion.insight.trends.series import Grain, Metric, bucket, segment_key, series, top_policy
from bastion.store.database import Database

T0 = datetime(2026, 11, 1, 10, 30, tzinfo=UTC)


def test_rows_are_counted_per_segment_and_hour_with_empty_hours_kept() -> None:
    rows = [
        (T0, "spam", "BR", "pt"),
        (T0 + timedelta(minutes=20), "spam", "BR", "pt"),
        (T0 + timedelta(hours=3), "spam", "BR", "pt"),
        (T0 + timedelta(hours=1), "hate_speech", None, None),
        (T0 + timedelta(days=2), "spam", "BR", "pt"),  # after the period: left out
    ]
    found = bucket(Metric.REPORTS, rows, since=T0, until=T0 + timedelta(hours=5), grain=Grain.HOUR)
    by_key = {segment_key(s.segment): s for s in found}
    assert list(by_key) == ["country=BR|language=pt|policy=spam", "country=unknown|language=unknown|policy=hate_speech"]
    spam = by_key["country=BR|language=pt|policy=spam"]
    assert spam.start == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert spam.counts == [2, 0, 0, 1, 0, 0] and spam.total == 3
    assert spam.timestamps[1] == datetime(2026, 11, 1, 11, tzinfo=UTC)
    daily = bucket(Metric.REPORTS, rows, since=T0, until=T0 + timedelta(days=3), grain=Grain.DAY)
    assert {segment_key(s.segment): s.counts for s in daily}["country=BR|language=pt|policy=spam"] == [3, 0, 1, 0]


def test_top_policy() -> None:
    assert (top_policy("hate_speech.slurs"), top_policy("spam"), top_policy(None)) == (
        "hate_speech",
        "spam",
        "unspecified",
    )


def test_an_empty_period_is_refused(database: Database) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput, match="since"):
        series(session, Metric.REPORTS, since=T0, until=T0)
