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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bastion.clock import as_utc
from bastion.domain.insight import TrendKind
from bastion.insight.recommend.model import Action, ActionKind, Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import WEEK, Window
from bastion.review.outcomes import review_outcomes
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Report
from bastion.store.schema.insight import TrendAlert

DRAFT_BANK = "emerging_terms"  # a keyword bank no rule reads until someone writes one: a draft
MIN_SCORE = 0.5
UNSPECIFIED = "unspecified"  # the policy of reports that named none
SAME_EVENT = timedelta(hours=12)  # alerts this close in time, in the same segment, are one event
REPORTS = "reports"
MIN_DECIDED = 5


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
    return emerging_term_candidates(database, terms, window) + spike_candidates(alerts, database, window)


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


def term_items(
    database: Database, term: str, language: str | None, since: datetime, until: datetime, country: str | None = None
) -> TermItems:
    """Content posted in [since, until) whose text holds `term` (ignoring case), with its review outcome."""
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = select(ContentItem.pk, ContentItem.external_id, ContentItem.created_at).where(
        ContentItem.created_at >= since,
        ContentItem.created_at < until,
        func.lower(ContentItem.text).like(pattern, escape="\\"),
    )
    if language:
        query = query.where(ContentItem.language == language)
    if country:
        query = query.where(ContentItem.country == country)
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
    """A candidate per emerging term (its earliest alert, when scans alerted on it more than once): add it
    to the draft keyword bank."""
    earliest: dict[tuple[str, str | None], Alert] = {}
    for alert in sorted(alerts, key=lambda a: as_utc(a.at)):
        term = str(alert.segment.get("term") or alert.evidence.get("term") or "").strip()
        language = str(alert.segment.get("language") or alert.evidence.get("language") or "") or None
        if term:
            earliest.setdefault((term.lower(), language), alert)
    found = []
    for (_, language), alert in earliest.items():
        evidence = alert.evidence
        term = str(alert.segment.get("term") or evidence.get("term") or "").strip()
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


def _excess(alert: Alert, weeks: float = 1.0) -> float:
    """The alert's excess a week: a burst's own excess (a count over its window) spread over the weeks
    the recommendations look at, as every provider counts; else what `excess_a_week` reads from its
    series."""
    evidence = alert.evidence
    if "excess" in evidence and "until" in evidence:
        return _number(evidence["excess"], 0.0) / max(weeks, 1 / 7)
    return excess_a_week(evidence)


def _until(alert: Alert) -> datetime:
    until = alert.evidence.get("until")
    if isinstance(until, str):
        try:
            return as_utc(datetime.fromisoformat(until))
        except ValueError:
            pass
    return as_utc(alert.at) + SAME_EVENT


@dataclass
class SpikeEvent:
    """The alerts of one event: one segment's (any metric), overlapping in time; alerts on reports that
    name no policy join an event of the same country and language they overlap."""

    segment: dict[str, Any]
    start: datetime
    end: datetime
    alerts: list[Alert]

    def overlaps(self, alert: Alert) -> bool:
        return as_utc(alert.at) < self.end + SAME_EVENT and self.start < _until(alert) + SAME_EVENT

    def add(self, alert: Alert) -> None:
        self.alerts.append(alert)
        self.start, self.end = min(self.start, as_utc(alert.at)), max(self.end, _until(alert))


def spike_events(alerts: Sequence[Alert]) -> list[SpikeEvent]:
    """The spikes and level shifts, grouped into events (the earliest alert first)."""
    rises = sorted((a for a in alerts if a.kind is not TrendKind.EMERGING_TERM), key=lambda a: as_utc(a.at))
    events: list[SpikeEvent] = []
    unnamed = []
    for alert in rises:
        if alert.segment.get("policy") == UNSPECIFIED:
            unnamed.append(alert)
            continue
        event = next((e for e in events if e.segment == alert.segment and e.overlaps(alert)), None)
        if event is None:
            events.append(SpikeEvent(dict(alert.segment), as_utc(alert.at), _until(alert), [alert]))
        else:
            event.add(alert)
    for alert in unnamed:
        place = {k: v for k, v in alert.segment.items() if k != "policy"}
        event = next(
            (e for e in events if {k: v for k, v in e.segment.items() if k != "policy"} == place and e.overlaps(alert)),
            None,
        )
        if event is None:
            events.append(SpikeEvent(dict(alert.segment), as_utc(alert.at), _until(alert), [alert]))
        else:
            event.add(alert)
    return events


def spike_candidates(
    alerts: Sequence[Alert], database: Database | None = None, window: Window | None = None
) -> list[Candidate]:
    """A candidate per spike event (its alerts grouped): investigate it.

    With the store at hand, an event is weighed by what it is made of: an event only in reports counts
    its excess reports at the precision review found for the reports of its place and time (a campaign
    of bad-faith reports weighs nothing here: the mass-reporting provider has it), and an event most of
    whose excess is the posts of an emerging term alerted on is that term's (one problem, one
    recommendation: the term's)."""
    terms = [a for a in alerts if a.kind is TrendKind.EMERGING_TERM]
    weeks = window.weeks if window is not None else 1.0
    found = []
    for event in spike_events(alerts):
        # The event's size: its largest excess on any metric (violating items, or reports).
        lead = max(event.alerts, key=_excess)
        impact = _excess(lead, weeks)
        evidence = lead.evidence
        precision = None
        if database is not None:
            if _of_a_term(database, event, terms):
                continue
            if all(a.metric == REPORTS for a in event.alerts):
                precision = _report_precision(database, event)
                impact *= precision
        where = _segment_text(event.segment)
        kinds = {a.kind for a in event.alerts}
        what = "level shift" if kinds == {TrendKind.LEVEL_SHIFT} else "spike"
        metrics = sorted({a.metric for a in event.alerts})
        at = event.start
        found.append(
            Candidate(
                kind=RecommendationKind.INVESTIGATE_SPIKE,
                subject=f"{where}|{at:%Y-%m-%dT%H}",
                title=f"Investigate the {what} in {' and '.join(metrics)} ({where}) from {at:%Y-%m-%d %H:%M}",
                impact=impact,
                expected_effect=f"about {impact:.0f} items a week above the baseline explained, and stopped if harmful",
                evidence=Evidence(
                    figures={
                        "metric": lead.metric,
                        "metrics": ", ".join(metrics),
                        "alerts": len(event.alerts),
                        "segment": where,
                        "score": round(max(a.score for a in event.alerts), 3),
                        "from": at.isoformat(),
                        "until": event.end.isoformat(),
                        **({} if precision is None else {"report_precision": round(precision, 3)}),
                        **{
                            k: v
                            for k, v in evidence.items()
                            if isinstance(v, int | float) and not isinstance(v, bool) and k != "detected_at_index"
                        },
                    },
                    examples=tuple(str(e) for e in evidence.get("examples", [])[:5])
                    if isinstance(evidence.get("examples"), list)
                    else (),
                    series_title=f"{lead.metric} per {evidence.get('grain', 'period')}",
                    series=tuple(Point(label, value) for label, value in _points(evidence.get("series"))[-72:]),
                ),
            )
        )
    return found


def _place(event: SpikeEvent) -> tuple[str | None, str | None]:
    country, language = event.segment.get("country"), event.segment.get("language")
    return (str(country) if country else None, str(language) if language else None)


def _of_a_term(database: Database, event: SpikeEvent, terms: Sequence[Alert]) -> bool:
    """Whether at least half the event's material — the content of its place and time that was reported,
    or posted and found violating — holds an emerging term of its language."""
    country, language = _place(event)
    material = set(_reported(database, event)) | _violating(database, event)
    if not material:
        return False
    for alert in terms:
        term = str(alert.segment.get("term") or "").strip()
        if not term or alert.segment.get("language") != language:
            continue
        held = term_items(database, term, language, event.start, event.end, country)
        if len(material & set(held.items)) * 2 >= len(material):
            return True
    return False


def _violating(database: Database, event: SpikeEvent) -> set[str]:
    """The content posted in the event's place and time that review found violating (its policy, when the
    event names one)."""
    country, language = _place(event)
    policy = event.segment.get("policy")
    query = select(ContentItem.external_id, ContentItem.pk).where(
        ContentItem.created_at >= event.start, ContentItem.created_at < event.end
    )
    if country:
        query = query.where(ContentItem.country == country)
    if language:
        query = query.where(ContentItem.language == language)
    with database.transaction() as session:
        posted = {int(pk): str(external) for external, pk in session.execute(query)}
        outcomes = review_outcomes(session, list(posted))
    named = policy not in (None, UNSPECIFIED)
    return {
        posted[pk]
        for pk, outcome in outcomes.items()
        if outcome.violating and (not named or str(outcome.policy_id or "").split(".")[0] == policy)
    }


def _reported(database: Database, event: SpikeEvent) -> dict[str, int]:
    """The content reported in the event's place and time: external id -> key."""
    country, language = _place(event)
    query = (
        select(ContentItem.external_id, ContentItem.pk)
        .join(Report, Report.content_pk == ContentItem.pk)
        .where(Report.created_at >= event.start, Report.created_at < event.end)
    )
    if country:
        query = query.where(ContentItem.country == country)
    if language:
        query = query.where(ContentItem.language == language)
    with database.transaction() as session:
        return {str(external): int(pk) for external, pk in session.execute(query)}


def _report_precision(database: Database, event: SpikeEvent) -> float:
    """The share of the content reported in the event's place and time that review found violating (of
    that review decided); 0.5 when review decided fewer than `MIN_DECIDED` of them."""
    pks = sorted(set(_reported(database, event).values()))
    with database.transaction() as session:
        outcomes = review_outcomes(session, pks)
    if len(outcomes) < MIN_DECIDED:
        return 0.5
    return sum(1 for o in outcomes.values() if o.violating) / len(outcomes)
