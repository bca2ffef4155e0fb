"""Emerging terms and spikes read from trend alerts, and the term's draft bank entry made by acting on it."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.detect.banks import bank_detail
from bastion.domain.insight import TrendKind
from bastion.errors import Conflict, NotFound
from bastion.insight.recommend.model import RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.trends import trend_candidates
from bastion.insight.recommend.service import act, recommendations
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from bastion.store.schema.insight import RecommendationAction, TrendAlert


def _alerts(database: Database, clock: FrozenClock) -> None:
    at = clock() - timedelta(days=3)
    with database.transaction() as session:
        session.add_all(
            [
                TrendAlert(
                    kind=TrendKind.EMERGING_TERM.value,
                    metric="term",
                    segment_key="language=en",
                    segment={"language": "en"},
                    at=at,
                    score=0.97,
                    evidence={
                        "term": "viskuzark",
                        "language": "en",
                        "count": 40,
                        "violating": 30,
                        "rate": 0.004,
                        "baseline_rate": 0.0,
                        "examples": ["c1", "c2"],
                        "series": [{"label": "2026-10-30", "value": 0}, {"label": "2026-10-31", "value": 12}],
                    },
                    detected_at=clock(),
                ),
                TrendAlert(
                    kind=TrendKind.SPIKE.value,
                    metric="reports",
                    segment_key="country=GB|policy=hate_speech",
                    segment={"policy": "hate_speech", "country": "GB"},
                    at=at,
                    score=0.9,
                    evidence={
                        "observed": 300,
                        "expected": 60,
                        "days": 2,
                        "series": [["2026-10-30", 30], ["2026-10-31", 150]],
                    },
                    detected_at=clock(),
                ),
                TrendAlert(  # below the score bar: ignored
                    kind=TrendKind.SPIKE.value,
                    metric="reports",
                    segment_key="country=BR",
                    segment={"country": "BR"},
                    at=at,
                    score=0.2,
                    evidence={"observed": 900, "expected": 10, "days": 1},
                    detected_at=clock(),
                ),
            ]
        )


def test_terms_and_spikes_become_candidates_with_their_impact(database: Database, clock: FrozenClock) -> None:
    _alerts(database, clock)
    found = trend_candidates(database, Window(clock() - timedelta(days=14), clock()))
    by_kind = {c.kind: c for c in found}
    assert len(found) == 2
    term = by_kind[RecommendationKind.ADD_TERM]
    assert term.subject == "en:viskuzark"
    assert term.impact == pytest.approx(30 / 2)  # 30 violating items over two weeks
    assert term.evidence.figures["precision"] == 0.75
    assert term.evidence.examples == ("c1", "c2")
    spike = by_kind[RecommendationKind.INVESTIGATE_SPIKE]
    assert spike.impact == pytest.approx((300 - 60) * 7 / 2)
    assert "country=GB, policy=hate_speech" in spike.title
    assert [p.value for p in spike.evidence.series] == [30, 150]


def test_acting_on_a_term_drafts_a_bank_entry_audited_and_once(database: Database, clock: FrozenClock) -> None:
    _alerts(database, clock)
    ranked = recommendations(database, now=clock())
    term = next(r for r in ranked if r.kind is RecommendationKind.ADD_TERM)
    done = act(database, term.key, principal="ana", now=clock(), rng=random.Random(1))
    assert done.acted is not None and done.acted.result["bank"] == "emerging_terms"
    with database.transaction() as session:
        assert "viskuzark" in bank_detail(session, "emerging_terms").entries
        (row,) = session.scalars(select(RecommendationAction)).all()
        assert (row.key, row.acted_by, row.kind) == (term.key, "ana", "add_term")
        audited = session.scalars(select(AuditRecord).where(AuditRecord.action == "recommendation.act")).all()
        assert [a.target for a in audited] == [f"recommendation:{term.key}"]
    again = next(r for r in recommendations(database, now=clock()) if r.key == term.key)
    assert again.acted is not None and again.acted.by == "ana"
    with pytest.raises(Conflict, match="already acted on by ana"):
        act(database, term.key, principal="bo", now=clock(), rng=random.Random(1))
    with pytest.raises(NotFound):
        act(database, "add_term--nothing", principal="bo", now=clock(), rng=random.Random(1))
