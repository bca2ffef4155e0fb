"""Add an emerging term to a keyword bank, investigate a spike: from the trend alerts (`trend_alerts`),
which the trends detector writes (`bastion.insight.trends`).

These providers read the alerts through a small interface, `Alert`: the table's columns. Of an alert's
`evidence` they read, when present:
- a spike or level shift: `series` ([{"at", "count"}], one a period of `grain`, hour or day),
  `detected_at_index` (where in the series the change is) and `expected` (the count a period the
  baseline predicted); else `observed`, `expected` and `days` (totals over the alert's span);
- an emerging term: nothing but the term and its language (the alert's segment, or `term` and
  `language` in the evidence); its items and their review outcomes are read from the store.

**Impact** (items per week): for a term, the items with it found violating by review since it was first
seen, a week — what a bank entry would catch; for a spike, its excess over the baseline from the change
on, a week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bastion.clock import as_utc
from bastion.domain.insight import TrendKind
from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import WEEK, Window
from bastion.review.outcomes import review_outcomes
from bastion.store.database import Database
from bastion.store.schema import ContentItem
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
    terms = [a for a in alerts if a.kind is TrendKind.EMERGING_TERM]
    return emerging_term_candidates(database, terms, window) + spike_candidates(alerts)


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _points(value: Any) -> list[tuple[str, float]]:
    points = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            label = item.get("at", item.get("label"))
            points.append((str(label), _number(item.get("count", item.get("value")), 0.0)))
        elif isinstance(item, list | tuple) and len(item) == 2:
            points.append((str(item[0]), _number(item[1], 0.0)))
    return points


def _segment_text(segment: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(segment.items())) or "everywhere"


@dataclass(frozen=True)
class TermItems:
    """The items of a language holding a term since a moment, and those review found violating."""

    items: list[str]
    violating: list[str]
    daily: dict[str, int]


def term_items(database: Database, term: str, language: str | None, since: datetime, until: datetime) -> TermItems:
    """Content posted in [since, until) whose text holds `term` (ignoring case), with its review outcome."""
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(ContentItem.pk, ContentItem.external_id, ContentItem.created_at).where(
        ContentItem.created_at >= since,
        ContentItem.created_at < until,
        func.lower(ContentItem.text).like(pattern, escape="\\"),
    )
    if language:
        query = query.where(ContentItem.language == language)
    with database.transaction() as session:
        rows = session.execute(query.order_by(ContentItem.created_at, ContentItem.pk)).all()
        outcomes = review_outcomes(session, [int(pk) for pk, _, _ in rows])
    daily: dict[str, int] = {}
    for _, _, created in rows:
        day = as_utc(created).date().isoformat()
        daily[day] = daily.get(day, 0) + 1
    violating = [str(e) for pk, e, _ in rows if int(pk) in outcomes and outcomes[int(pk)].violating]
    return TermItems([str(e) for _, e, _ in rows], violating, daily)


def emerging_term_candidates(database: Database, alerts: Sequence[Alert], window: Window) -> list[Candidate]:
    """A candidate per emerging term: add it to the draft keyword bank."""
    found = []
    for alert in alerts:
        evidence = alert.evidence
        term = str(alert.segment.get("term") or evidence.get("term") or "").strip()
        if not term:
            continue
        language = str(alert.segment.get("language") or evidence.get("language") or "") or None
        since = max(as_utc(alert.at), window.start)
        held = term_items(database, term, language, since, window.end)
        weeks = max((window.end - since) / WEEK, 1 / 7)
        precision = len(held.violating) / len(held.items) if held.items else 0.0
        impact = len(held.violating) / weeks
        where = language or "any language"
        found.append(
            Candidate(
                kind=RecommendationKind.ADD_TERM,
                subject=f"{language or 'any'}:{term}",
                title=f"Add the emerging term {term!r} ({where}) to a keyword bank",
                impact=impact,
                expected_effect=(
                    f"about {impact:.0f} violating items a week caught by the term "
                    f"(observed precision {precision:.0%} on {len(held.items)} items)"
                ),
                evidence=Evidence(
                    figures={
                        "term": term,
                        "language": where,
                        "score": round(alert.score, 3),
                        "first_seen": as_utc(alert.at).isoformat(),
                        "items": len(held.items),
                        "violating": len(held.violating),
                        "precision": round(precision, 4),
                        **{k: v for k, v in evidence.items() if isinstance(v, int | float) and not isinstance(v, bool)},
                    },
                    examples=tuple(held.violating[:5] or held.items[:5]),
                    series_title=f"Items with {term!r} per day",
                    series=tuple(Point(day, n) for day, n in sorted(held.daily.items())),
                ),
                action=Action(
                    ActionKind.DRAFT_BANK_ENTRY,
                    f"Add {term!r} to the {DRAFT_BANK} bank (a draft: no rule reads it yet)",
                    {"bank": DRAFT_BANK, "term": term},
                ),
            )
        )
    return found


def excess_a_week(evidence: dict[str, Any]) -> float:
    """The alert's excess over its baseline, a week: from its series after the change when it has one."""
    points = _points(evidence.get("series"))
    index = evidence.get("detected_at_index")
    expected = _number(evidence.get("expected"), 0.0)
    if points and isinstance(index, int) and 0 <= index < len(points):
        after = points[index:]
        hours = len(after) * (24 if evidence.get("grain") == "day" else 1)
        return sum(max(count - expected, 0.0) for _, count in after) * 168.0 / max(hours, 1)
    observed = _number(evidence.get("observed"), 0.0)
    days = max(_number(evidence.get("days"), 1.0), 1.0)
    return max(observed - expected, 0.0) * 7.0 / days


def spike_candidates(alerts: Sequence[Alert]) -> list[Candidate]:
    """A candidate per spike or level shift: investigate it."""
    found = []
    for alert in alerts:
        if alert.kind is TrendKind.EMERGING_TERM:
            continue
        evidence = alert.evidence
        impact = excess_a_week(evidence)
        where = _segment_text(alert.segment)
        what = alert.kind.value.replace("_", " ")
        at = as_utc(alert.at)
        found.append(
            Candidate(
                kind=RecommendationKind.INVESTIGATE_SPIKE,
                subject=f"{alert.metric}|{alert.kind.value}|{where}|{at:%Y-%m-%dT%H}",
                title=f"Investigate the {what} in {alert.metric} ({where}) from {at:%Y-%m-%d %H:%M}",
                impact=impact,
                expected_effect=f"about {impact:.0f} items a week above the baseline explained, and stopped if harmful",
                evidence=Evidence(
                    figures={
                        "metric": alert.metric,
                        "segment": where,
                        "score": round(alert.score, 3),
                        "from": at.isoformat(),
                        **{
                            k: v
                            for k, v in evidence.items()
                            if isinstance(v, int | float) and not isinstance(v, bool) and k != "detected_at_index"
                        },
                    },
                    examples=tuple(str(e) for e in evidence.get("examples", [])[:5])
                    if isinstance(evidence.get("examples"), list)
                    else (),
                    series_title=f"{alert.metric} per {evidence.get('grain', 'period')}",
                    series=tuple(Point(label, value) for label, value in _points(evidence.get("series"))[-72:]),
                ),
            )
        )
    return found
