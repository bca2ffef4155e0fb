"""Trends on the default simulation (seed 1, small, 14 days: the reference rules in force, the workforce
at work) against its truth file: a planted spike found inside its window, the planted English coded
word found after it was first used, no ordinary word, and few other alerts.

At the small scale a segment holds a few violating items a day, so this is a floor, not the detector's
power: see docs/insight.md ("Trends on the store") for what is and is not found on three seeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.detect.reference import install_reference
from bastion.insight.trends.alerts import run_trends
from bastion.simulate import SimulationSpec, World
from bastion.simulate.reviewing import write_and_review
from bastion.store.database import Database
from bastion.store.schema import TrendAlert


def test_the_default_simulations_planted_trends(sqlite_database: Database) -> None:
    world = World(SimulationSpec(seed=1))
    with sqlite_database.transaction() as session:
        install_reference(session, principal=SYSTEM.name, now=world.spec.start)
    write_and_review(sqlite_database, world)
    truth = world.truth()
    start, end = datetime.fromisoformat(truth["start"]), datetime.fromisoformat(truth["end"])
    run_trends(sqlite_database, now=end, since=start)
    with sqlite_database.transaction() as session:
        alerts = session.scalars(select(TrendAlert)).all()
    rises = [a for a in alerts if a.kind != "emerging_term"]
    found = [
        spike
        for spike in truth["spikes"]
        if any(
            {k: a.segment.get(k) for k in ("policy", "country", "language")}
            == {k: spike[k] for k in ("policy", "country", "language")}
            and datetime.fromisoformat(spike["start"]) <= a.at <= datetime.fromisoformat(spike["end"])
            for a in rises
        )
    ]
    assert found, "no planted spike found inside its window"
    assert len(rises) - len(found) <= 2
    planted = {t["term"]: t for t in truth["emerging_terms"]}
    terms = [a for a in alerts if a.kind == "emerging_term"]
    assert {a.segment["term"] for a in terms} <= set(planted), "an ordinary word was flagged"
    english = next(t for t in truth["emerging_terms"] if t["language"] == "en")
    (alert,) = [a for a in terms if a.segment["term"] == english["term"]]
    assert alert.at >= datetime.fromisoformat(english["first_seen"])
    assert alert.evidence["policies"].get(english["policy"], 0) > alert.evidence["recent_documents"] / 2
