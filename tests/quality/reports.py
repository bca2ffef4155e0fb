"""A quality report built by hand, for page tests that must not depend on how the engine scores.

Three reviewers: ana (in-house, 45 of 50 right), bo (vendor acme, 10 of 40 right: flagged, weakest on
spam), cy (vendor acme, 3 of 6 right: too few to flag, 30 more needed). Intervals are statsmodels'
Wilson intervals of those counts. One of bo's disagreements is on an item whose text is a script.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
from statsmodels.stats.proportion import proportion_confint

from bastion.clock import FrozenClock
from bastion.quality.ratings import RATINGS_SCHEMA
from bastion.quality.report import (
    Agreement,
    ConfusedPair,
    Confusion,
    Disagreement,
    DriftPoint,
    QualityReport,
    ReviewerScore,
    Score,
    Thresholds,
)
from bastion.quality.scorecards import QualityReports
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem

HOSTILE = "<script>alert('owned')</script><b>bold</b>"
THRESHOLDS = Thresholds()


def score(key: str, decisions: int, scored: int, correct: int, *, needed: int | None = None) -> Score:
    low, high = proportion_confint(correct, scored, alpha=0.05, method="wilson")
    flagged = scored >= THRESHOLDS.min_decisions and high < THRESHOLDS.accuracy
    return Score(key, decisions, scored, correct, correct / scored, float(low), float(high), flagged, needed)


def reviewer(
    key: str,
    vendor: str | None,
    decisions: int,
    scored: int,
    correct: int,
    *,
    needed: int | None = None,
    policies: tuple[Score, ...] = (),
    disagreements: tuple[Disagreement, ...] = (),
) -> ReviewerScore:
    s = score(key, decisions, scored, correct, needed=needed)
    return ReviewerScore(
        s.key, s.decisions, s.scored, s.correct, s.accuracy, s.accuracy_low, s.accuracy_high, s.flagged, s.needed,
        appeals=4, overturned=1, overturn_rate=0.25, vendor=vendor, policies=policies, disagreements=disagreements,
    )  # fmt: skip


def hostile_item(database: Database, now: datetime) -> int:
    with database.transaction() as session:
        actor = Actor(external_id="actor-hostile", created_at=now, received_at=now)
        session.add(actor)
        session.flush()
        item = ContentItem(
            external_id="post-<i>1</i>", actor_pk=actor.pk, type="post", text=HOSTILE, created_at=now, received_at=now
        )
        session.add(item)
        session.flush()
        return item.pk


def hand_report(now: datetime, item: int) -> QualityReport:
    bo_disagrees = (
        Disagreement(None, item, "none", "spam", now - timedelta(days=1), "qa"),
        Disagreement(None, item, "spam", "none", now - timedelta(days=2), "calibration"),  # never shown
    )
    reviewers = (
        reviewer("ana", None, 60, 50, 45, policies=(score("spam", 30, 25, 23), score("hate", 30, 25, 22))),
        reviewer(
            "bo", "acme", 45, 40, 10,
            policies=(score("spam", 35, 32, 6), score("hate", 10, 8, 4)), disagreements=bo_disagrees,
        ),
        reviewer("cy", "acme", 8, 6, 3, needed=30, policies=(score("spam", 8, 6, 3),)),
    )  # fmt: skip
    return QualityReport(
        as_of=now,
        since=None,
        queue=None,
        thresholds=THRESHOLDS,
        agreement=Agreement(0.4123, 0.4011, 0.7, 80, 200),
        reviewers=reviewers,
        vendors=(score("acme", 53, 46, 13),),
        queues=(score("general", 113, 96, 58),),
        policies=(score("spam", 63, 53, 30), score("hate", 50, 43, 28)),
        confusion=Confusion(("hate", "none", "spam"), ((28, 10, 5), (3, 40, 8), (2, 13, 30))),
        confused_pairs=(ConfusedPair("none", "spam", 21, 0.51), ConfusedPair("hate", "none", 13, 0.32)),
        drift=(DriftPoint(now - timedelta(days=7), 50, 40, 0.6, 0.45, 0.73),),
    )


def serve_hand_report(holder: object, database: Database, clock: FrozenClock) -> QualityReport:
    """Make the app whose state is `holder` serve the hand-built report (for every filter and period)."""
    report = hand_report(clock(), hostile_item(database, clock()))
    ratings = pa.Table.from_pylist(
        [{"item": 1, "rater": "ana", "queue": "general", "label": "spam", "decided_at": clock(), "source": "review"}],
        schema=RATINGS_SCHEMA,
    )
    reports = QualityReports(database, clock, load=lambda *_: ratings, compute=lambda *_: report)
    setattr(holder, "quality_reports", reports)  # noqa: B010
    return report
