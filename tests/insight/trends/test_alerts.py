"""Trend alerts from a store with planted trends: the burst found at its start with its evidence, the
coded word found and no ordinary word, re-scanning adds nothing, and each new alert is announced once,
after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.happened import TrendDetected
from bastion.errors import InvalidInput
from bastion.insight.trends.alerts import run_trends
from bastion.plugins import hookimpl, plugin_manager
from bastion.store.database import Database
from bastion.store.schema import TrendAlert
from tests.insight.trends.planted import TERM, WORDS, plant


def test_the_planted_burst_and_word_are_alerted_once_with_evidence(database: Database, clock: FrozenClock) -> None:
    now = clock()
    planted = plant(database, now)
    heard: list[TrendDetected] = []

    class Listener:
        @hookimpl
        def trend_detected(self, fact: TrendDetected) -> None:
            with database.transaction() as session:  # committed by the time it is heard
                assert session.get(TrendAlert, fact.alert_pk) is not None
            heard.append(fact)

    listener = Listener()
    plugin_manager().register(listener)
    try:
        first = run_trends(database, now=now, since=planted.start)
        again = run_trends(database, now=now, since=planted.start)
    finally:
        plugin_manager().unregister(listener)

    assert first.added and again.added == [] and again.found == first.found
    with database.transaction() as session:
        alerts = session.scalars(select(TrendAlert).order_by(TrendAlert.at)).all()
        assert sorted(a.pk for a in alerts) == sorted(first.added) == sorted(f.alert_pk for f in heard)
        rises = [a for a in alerts if a.kind in ("spike", "level_shift")]
        burst = [a for a in rises if a.segment == planted.spike_segment and a.metric == "reports"]
        assert len(burst) == 1
        (found,) = burst
        assert planted.spike_at <= found.at <= planted.spike_at + timedelta(hours=6)
        assert found.segment_key == "country=BR|language=pt|policy=spam"
        evidence = found.evidence
        assert evidence["grain"] == "hour" and evidence["observed"] > 2 * evidence["expected"]
        assert evidence["series"][evidence["detected_at_index"]]["at"] == found.at.isoformat()
        assert sum(p["count"] for p in evidence["series"]) > 0
        # Three weeks of two segments: chance records are rare once the Poisson bar is applied.
        assert len(rises) - 1 <= 3
        terms = [a for a in alerts if a.kind == "emerging_term"]
        assert [a.segment for a in terms] == [{"language": "en", "term": TERM}]
        assert terms[0].at >= planted.term_from and terms[0].evidence["baseline_documents"] == 0
        assert not {a.segment.get("term") for a in terms} & set(WORDS)


def test_a_scan_must_start_before_now(database: Database, clock: FrozenClock) -> None:
    with pytest.raises(InvalidInput, match="since"):
        run_trends(database, now=clock(), since=clock())
