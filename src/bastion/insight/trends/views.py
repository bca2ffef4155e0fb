"""What the trends page and `GET /api/v1/trends/alerts` show: alerts with their evidence, and the
period-over-period table (this week against the last, per segment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from bastion.domain.insight import TrendKind
from bastion.insight.trends.alerts import list_alerts
from bastion.insight.trends.series import Grain, Metric, segment_key, series

WEEK = timedelta(days=7)
TOP_CHANGES = 25


class AlertView(BaseModel):
    model_config = ConfigDict(frozen=True)

    pk: int
    kind: TrendKind
    metric: str = Field(description="The metric's name, or `term` for an emerging term")
    segment_key: str = Field(description="`country=BR|language=pt|policy=spam`, sorted by dimension")
    segment: dict[str, str]
    at: datetime = Field(description="When the change began (an emerging term: its first recent document)")
    score: float = Field(description="0..1, higher is surer")
    detected_at: datetime
    evidence: dict[str, Any] = Field(description="The series around it with what was expected, or the term's counts")


class PeriodChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: Metric
    segment_key: str
    segment: dict[str, str]
    this_week: int
    last_week: int
    change: int
    ratio: float | None = Field(description="This week over last week; none when last week had nothing")


class AlertList(BaseModel):
    alerts: list[AlertView]


class TrendsOverview(BaseModel):
    alerts: list[AlertView]
    changes: list[PeriodChange] = Field(description="This week against last, the largest changes first")
    week_ending: datetime


def alert_views(session: Session, *, kind: TrendKind | None = None, limit: int = 200) -> list[AlertView]:
    return [
        AlertView(
            pk=a.pk,
            kind=TrendKind(a.kind),
            metric=a.metric,
            segment_key=a.segment_key,
            segment={str(k): str(v) for k, v in a.segment.items()},
            at=a.at,
            score=a.score,
            detected_at=a.detected_at,
            evidence=a.evidence,
        )
        for a in list_alerts(session, kind=kind, limit=limit)
    ]


def period_over_period(session: Session, *, now: datetime) -> list[PeriodChange]:
    """Each metric per segment: the last seven days against the seven before, the largest changes first."""
    start = now - 2 * WEEK
    changes = []
    for metric in Metric:
        for found in series(session, metric, since=start, until=now, grain=Grain.DAY):
            # Periods are whole days from `start`'s midnight: split at the day seven days before the last.
            split = len(found.counts) - 7
            this, last = sum(found.counts[split:]), sum(found.counts[max(0, split - 7) : split])
            changes.append(
                PeriodChange(
                    metric=metric,
                    segment_key=segment_key(found.segment),
                    segment=dict(found.segment),
                    this_week=this,
                    last_week=last,
                    change=this - last,
                    ratio=round(this / last, 3) if last else None,
                )
            )
    changes.sort(key=lambda c: (-abs(c.change), c.metric.value, c.segment_key))
    return changes[:TOP_CHANGES]


def overview(session: Session, *, now: datetime, kind: TrendKind | None = None) -> TrendsOverview:
    return TrendsOverview(
        alerts=alert_views(session, kind=kind), changes=period_over_period(session, now=now), week_ending=now
    )
