"""Emerging terms and spikes read from trend alerts, and the term's draft bank entry made by acting on it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.detect.banks import bank_detail
from bastion.domain.insight import TrendKind
from bastion.errors import Conflict, NotFound
from bastion.insight.recommend.model import RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.trends import Alert, spike_candidates, spike_events, trend_candidates
from bastion.insight.recommend.service import act, recommendations
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from bastion.store.schema.insight import RecommendationAction, TrendAlert
from tests.insight.recommend.decided import decided_posts

COUNTS = [2, 1, 3, 20, 30, 10, 2]  # hourly; the spike from the fourth hour: 18 + 28 + 8 + 0 above 2 an hour
TERM_RULE = """
rules:
  - name: spam-words
    description: Posts about deals
    owner: spam-team
    mode: live
    policy: spam
    when: 'content.text.contains("deal")'
    then:
      - enqueue: {queue: general, priority: 0.5}
"""


def _alerts(database: Database, clock: FrozenClock) -> None:
    """Three days ago the term began: three posts hold it, and a fourth does not; all found violating."""
    at = clock() - timedelta(days=3)
    texts = ["deal VISKUZARK now", "deal viskuzark", "deal: viskuzark!", "a deal today"]
    decided_posts(database, clock, rules=TERM_RULE, texts=texts, violating=4, posted=at + timedelta(hours=1))
    with database.transaction() as session:
        session.add_all(
            [
                TrendAlert(
                    kind=TrendKind.EMERGING_TERM.value,
                    metric="term",
                    segment_key="language=en|term=viskuzark",
                    segment={"language": "en", "term": "viskuzark"},
                    at=at,
                    score=0.97,
                    evidence={"recent_documents": 4, "baseline_documents": 0, "ratio": 40.0},
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
                        "grain": "hour",
                        "series": [{"at": f"2026-10-30T{h:02d}:00:00+00:00", "count": c} for h, c in enumerate(COUNTS)],
                        "detected_at_index": 3,
                        "observed": 20.0,
                        "expected": 2.0,
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
                    evidence={"observed": 900, "expected": 10, "days": 1},  # the fallback: totals over its days
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
    assert term.impact == pytest.approx(3 / (3 / 7))  # 3 violating items in the 3 days since it was first seen
    assert term.evidence.figures["items"] == 3 and term.evidence.figures["precision"] == 1.0
    assert set(term.evidence.examples) == {"p0", "p1", "p2"}
    assert term.evidence.figures["ratio"] == 40.0
    spike = by_kind[RecommendationKind.INVESTIGATE_SPIKE]
    # 54 above the baseline in 4 hours, a week; a rise of reports only, none of them decided by review:
    # taken at a precision of one half.
    assert spike.impact == pytest.approx((18 + 28 + 8) * 168 / 4 * 0.5)
    assert spike.evidence.figures["report_precision"] == 0.5
    assert "country=GB, policy=hate_speech" in spike.title
    assert [p.value for p in spike.evidence.series] == COUNTS


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


def _burst(metric: str, segment: dict[str, str], hour: int, hours: int, excess: float) -> Alert:
    at = datetime(2026, 11, 5, tzinfo=UTC) + timedelta(hours=hour)
    evidence = {"grain": "hour", "until": (at + timedelta(hours=hours)).isoformat(), "excess": excess}
    return Alert(TrendKind.SPIKE, metric, segment, at, 0.99, evidence)


def test_a_spike_event_is_one_recommendation_whatever_its_alerts() -> None:
    """Reports and violating content of one segment rising together, and reports naming no policy in the
    same place and time, are one event; another segment, or the same one days later, another."""
    spam_br = {"policy": "spam", "country": "BR", "language": "pt"}
    alerts = [
        _burst("violating_content", spam_br, 0, 48, 30.0),
        _burst("reports", spam_br, 6, 24, 12.0),
        _burst("reports", {"policy": "unspecified", "country": "BR", "language": "pt"}, 10, 12, 5.0),
        _burst("reports", {"policy": "unspecified", "country": "MX", "language": "es"}, 10, 12, 5.0),
        _burst("violating_content", spam_br, 24 * 6, 12, 9.0),
    ]
    events = spike_events(alerts)
    assert [(e.segment.get("country"), len(e.alerts)) for e in events] == [("BR", 3), ("BR", 1), ("MX", 1)]
    found = spike_candidates(
        alerts, window=Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))
    )
    assert len(found) == 3
    first = next(c for c in found if c.subject.endswith("2026-11-05T00"))
    assert first.impact == pytest.approx(30.0 / 2)  # the event's largest excess, over the window's two weeks
    assert first.evidence.figures["alerts"] == 3 and "country=BR, language=pt, policy=spam" in first.subject
