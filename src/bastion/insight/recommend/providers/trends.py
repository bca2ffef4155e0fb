"""Add an emerging term to a keyword bank, investigate a spike: from the trend alerts (`trend_alerts`),
which the trends detector writes (`bastion.insight.trends`).

These providers read the alerts through a small interface, `Alert`: the table's columns, nothing of the
detector's. What they read of an alert's `evidence`, when present (each has a fallback):
- an emerging term: `term`, `language`, `count` (items with the term in the window), `violating` (of
  those, found violating by review), `baseline_rate` and `rate`, `examples` (content ids), `series`
  ([{"label", "value"}] or [[label, value]]);
- a spike or level shift: `observed` and `expected` (the metric's total over the alert's span and what the
  baseline predicted), `days` (the span's length), `examples`, `series`.

**Impact** (items per week): for a term, its violating items a week (its items a week times its observed
precision) — what a bank entry would catch; for a spike, its excess over the baseline a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bastion.domain.insight import TrendKind
from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.store.database import Database
from bastion.store.schema.insight import TrendAlert

DRAFT_BANK = "emerging_terms"  # a keyword bank no rule reads until someone writes one: a draft
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Alert:
    """A trend alert as these providers read it."""

    kind: TrendKind
    metric: str
    segment: dict[str, Any]
    at: datetime
    score: float
    evidence: dict[str, Any]


def alerts_in(database: Database, window: Window) -> list[Alert]:
    """The alerts of the window at `MIN_SCORE` or more."""
    with database.transaction() as session:
        rows = session.scalars(
            select(TrendAlert).where(
                TrendAlert.at >= window.start, TrendAlert.at < window.end, TrendAlert.score >= MIN_SCORE
            )
        ).all()
        return [Alert(TrendKind(r.kind), r.metric, dict(r.segment), r.at, r.score, dict(r.evidence)) for r in rows]


def trend_candidates(database: Database, window: Window) -> list[Candidate]:
    """Every trend candidate of the window."""
    alerts = alerts_in(database, window)
    return emerging_term_candidates(alerts, window) + spike_candidates(alerts, window)


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _series(value: Any) -> tuple[Point, ...]:
    points = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and "label" in item:
            points.append(Point(str(item["label"]), _number(item.get("value"), 0.0)))
        elif isinstance(item, list | tuple) and len(item) == 2:
            points.append(Point(str(item[0]), _number(item[1], 0.0)))
    return tuple(points[-60:])


def _examples(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value[:5]) if isinstance(value, list) else ()


def _segment_text(segment: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(segment.items())) or "everywhere"


def emerging_term_candidates(alerts: Sequence[Alert], window: Window) -> list[Candidate]:
    """A candidate per emerging term: add it to the draft keyword bank."""
    found = []
    for alert in alerts:
        if alert.kind is not TrendKind.EMERGING_TERM:
            continue
        evidence = alert.evidence
        term = str(evidence.get("term") or alert.segment.get("term") or "").strip()
        if not term:
            continue
        language = str(evidence.get("language") or alert.segment.get("language") or "any")
        count = _number(evidence.get("count"), 0.0)
        violating = _number(evidence.get("violating"), count)
        precision = violating / count if count else 0.0
        impact = violating / window.weeks
        found.append(
            Candidate(
                kind=RecommendationKind.ADD_TERM,
                subject=f"{language}:{term}",
                title=f"Add the emerging term {term!r} ({language}) to a keyword bank",
                impact=impact,
                expected_effect=(
                    f"about {impact:.0f} violating items a week caught by the term (observed precision {precision:.0%})"
                ),
                evidence=Evidence(
                    figures={
                        "term": term,
                        "language": language,
                        "score": round(alert.score, 3),
                        "items": int(count),
                        "violating": int(violating),
                        "precision": round(precision, 4),
                        "rate": _number(evidence.get("rate"), 0.0),
                        "baseline_rate": _number(evidence.get("baseline_rate"), 0.0),
                        "first_seen": alert.at.isoformat(),
                    },
                    examples=_examples(evidence.get("examples")),
                    series_title=f"Items with {term!r}",
                    series=_series(evidence.get("series")),
                ),
                action=Action(
                    ActionKind.DRAFT_BANK_ENTRY,
                    f"Add {term!r} to the {DRAFT_BANK} bank (a draft: no rule reads it yet)",
                    {"bank": DRAFT_BANK, "term": term},
                ),
            )
        )
    return found


def spike_candidates(alerts: Sequence[Alert], window: Window) -> list[Candidate]:
    """A candidate per spike or level shift: investigate it."""
    found = []
    for alert in alerts:
        if alert.kind is TrendKind.EMERGING_TERM:
            continue
        evidence = alert.evidence
        observed = _number(evidence.get("observed"), 0.0)
        expected = _number(evidence.get("expected"), 0.0)
        days = max(_number(evidence.get("days"), 1.0), 1.0)
        impact = max(observed - expected, 0.0) * 7.0 / days
        where = _segment_text(alert.segment)
        what = alert.kind.value.replace("_", " ")
        subject = f"{alert.metric}|{alert.kind.value}|{where}|{alert.at:%Y-%m-%dT%H}"
        found.append(
            Candidate(
                kind=RecommendationKind.INVESTIGATE_SPIKE,
                subject=subject,
                title=f"Investigate the {what} in {alert.metric} ({where}) from {alert.at:%Y-%m-%d %H:%M}",
                impact=impact,
                expected_effect=f"about {impact:.0f} items a week above the baseline explained, and stopped if harmful",
                evidence=Evidence(
                    figures={
                        "metric": alert.metric,
                        "segment": where,
                        "score": round(alert.score, 3),
                        "observed": observed,
                        "expected": expected,
                        "days": days,
                        "from": alert.at.isoformat(),
                    },
                    examples=_examples(evidence.get("examples")),
                    series_title=alert.metric,
                    series=_series(evidence.get("series")),
                ),
            )
        )
    return found
