"""Scorecards from a report: a reviewer's and a vendor's part, who may see a scorecard, reports kept briefly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.errors import Forbidden, InvalidInput, NotFound
from bastion.quality.ratings import RATINGS_SCHEMA
from bastion.quality.report import QualityReport
from bastion.quality.scorecards import (
    QualityReports,
    can_see_scorecard,
    drift_periods,
    parse_since,
    reviewer_scorecard,
    vendor_scorecard,
)
from tests.quality.reports import hand_report

NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)  # a Wednesday


def test_a_scorecard_is_the_reports_part_about_one_reviewer_or_vendor() -> None:
    report = hand_report(NOW, 1)
    assert reviewer_scorecard(report, "bo", ()).reviewer.correct == 10
    card = vendor_scorecard(report, "acme", ())
    assert [r.key for r in card.reviewers] == ["bo", "cy"]
    spam = next(p for p in card.policies if p.key == "spam")
    assert (spam.decisions, spam.scored, spam.correct, spam.flagged) == (43, 38, 9, False)
    assert spam.accuracy_low is not None and spam.accuracy_low < 0.25 < spam.accuracy_high  # type: ignore[operator]
    with pytest.raises(NotFound):
        reviewer_scorecard(report, "nobody", ())
    with pytest.raises(NotFound):
        vendor_scorecard(report, "nobody", ())


def test_only_quality_readers_see_anothers_scorecard() -> None:
    bo = Principal("user:bo", frozenset({Role.REVIEWER}), user_pk=2)
    can_see_scorecard(bo, "bo")
    with pytest.raises(Forbidden):
        can_see_scorecard(bo, "ana")
    key = Principal("apikey:bo", frozenset({Role.REVIEWER}))  # a key named like a user is not that user
    with pytest.raises(Forbidden):
        can_see_scorecard(key, "bo")
    can_see_scorecard(Principal("user:al", frozenset({Role.ANALYST})), "bo")


def test_since_is_a_day_or_a_moment() -> None:
    assert parse_since("") is None
    assert parse_since("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput) as bad:
        parse_since("last week")
    assert bad.value.errors[0].path == "since"


def test_the_weeks_end_with_the_one_running_now() -> None:
    weeks = drift_periods(NOW)
    assert len(weeks) == 8 and weeks[-1][0] <= NOW < weeks[-1][1]
    assert all(b - a == timedelta(weeks=1) for a, b in weeks)
    assert all(weeks[i][1] == weeks[i + 1][0] for i in range(7))


def test_reports_are_kept_for_their_time_and_then_computed_again() -> None:
    clock = FrozenClock(NOW)
    loads: list[object] = []
    computed: list[int] = []

    def load(*args: object) -> pa.Table:
        loads.append(args)
        return RATINGS_SCHEMA.empty_table()

    def compute(ratings: pa.Table, *_: object) -> QualityReport:
        computed.append(ratings.num_rows)
        return hand_report(clock(), 1)

    reports = QualityReports(None, clock, ttl=timedelta(seconds=60), load=load, compute=compute)  # type: ignore[arg-type]
    reports.report()
    reports.report()
    assert (len(loads), len(computed)) == (1, 1)
    clock.advance(timedelta(seconds=61))
    reports.report()
    assert (len(loads), len(computed)) == (2, 2)
    reports.report(queue="general")
    assert len(loads) == 3
