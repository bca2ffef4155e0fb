"""Trends on the default simulation (seed 1, small, 14 days: the reference rules in force, the workforce
at work) against its truth file: every planted spike found in its segment, in a window overlapping its
own; every planted coded word found, on or after its first use; no ordinary word; and no more than two
alerts that no planted truth explains.

The store is the session's shared simulated store (`tests/support/simulated.py`), copied. The planted
sizes (a spike adds at least 40 violating posts to its segment, a coded word is used by at least 100
posts over its rise) are in the truth file and docs/insight.md."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bastion.insight.trends.alerts import run_trends
from bastion.store.database import Database
from bastion.store.schema import TrendAlert
from tests.support.simulated import simulated_copy

PLACE = ("policy", "country", "language")


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _until(alert: TrendAlert) -> datetime:
    return _at(str(alert.evidence["until"]))


def _explained(alert: TrendAlert, truth: dict[str, Any]) -> bool:
    """A rise that a planted truth accounts for: a spike, a coded word's posts, a network's bursts, or
    the mass-reporting campaign (reports in its country and time)."""
    segment = alert.segment
    start, end = alert.at, _until(alert)
    country, language, policy = segment.get("country"), segment.get("language"), segment.get("policy")

    def during(first: datetime, last: datetime) -> bool:
        return start < last and first < end

    spiked = any(
        (country, language) == (s["country"], s["language"]) and during(_at(s["start"]), _at(s["end"]))
        for s in truth["spikes"]
    )
    worded = any(
        language == t["language"] and policy in (t["policy"], "unspecified") and end > _at(t["first_seen"])
        for t in truth["emerging_terms"]
    )
    coordinated = any(
        (country, language) == (n["country"], n["language"])
        and any(start - timedelta(hours=6) <= _at(b) < end for b in n["bursts"])
        for n in truth["networks"]
    )
    campaign = alert.metric == "reports" and any(
        during(_at(c["start"]), _at(c["end"])) for c in truth["abusive_reporting"]
    )
    return spiked or worded or coordinated or campaign


def test_the_default_simulations_planted_trends(simulated_cache: Path, tmp_path: Path) -> None:
    truth = simulated_copy(simulated_cache, 1, tmp_path / "simulated.db")
    database = Database(f"sqlite:///{tmp_path / 'simulated.db'}")
    run_trends(database, now=_at(truth["end"]), since=_at(truth["start"]))
    with database.transaction() as session:
        alerts = session.scalars(select(TrendAlert)).all()
    database.dispose()

    rises = [a for a in alerts if a.kind != "emerging_term"]
    for spike in truth["spikes"]:
        start, end = _at(spike["start"]), _at(spike["end"])
        found = [
            a
            for a in rises
            if {k: a.segment.get(k) for k in PLACE} == {k: spike[k] for k in PLACE} and a.at < end and start < _until(a)
        ]
        assert found, f"no alert for {spike}"
    unexplained = [a for a in rises if not _explained(a, truth)]
    assert len(unexplained) <= 2, [(a.metric, a.segment_key, a.at) for a in unexplained]

    planted = {t["term"]: t for t in truth["emerging_terms"]}
    terms = [a for a in alerts if a.kind == "emerging_term"]
    assert {a.segment["term"] for a in terms} <= set(planted), "an ordinary word was flagged"
    for term in truth["emerging_terms"]:
        (alert,) = [a for a in terms if a.segment["term"] == term["term"]]
        assert alert.segment["language"] == term["language"]
        assert alert.at >= _at(term["first_seen"])
        assert alert.evidence["policies"].get(term["policy"], 0) > alert.evidence["recent_documents"] / 2
