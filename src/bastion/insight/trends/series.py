"""Each metric's series per segment (policy x country x language), hourly or daily, read from the store.

`series()` is the one door: today it counts rows of the state tables with a small query of its own; when
the metrics layer lands it can read the same counts from there without its callers changing.

Metrics:
- `reports`: reports filed, by the reported policy (its top level; "unspecified" when the reporter named
  none) and the reported content's country and language, at the time the report was filed;
- `violating_content`: content a final, standing decision found violating, by the decided policy's top
  level and the content's country and language, at the time the content was posted (when the harm
  happened, not when a reviewer got to it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bastion.domain.review import JobKind
from bastion.errors import FieldError, InvalidInput
from bastion.store.schema import ContentItem, Decision, Job, Report

UNKNOWN = "unknown"
DIMENSIONS = ("policy", "country", "language")


class Metric(StrEnum):
    REPORTS = "reports"
    VIOLATING_CONTENT = "violating_content"


class Grain(StrEnum):
    HOUR = "hour"
    DAY = "day"

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self is Grain.HOUR else timedelta(days=1)


Segment = tuple[tuple[str, str], ...]  # (dimension, value) pairs, sorted by dimension


def segment_key(segment: Segment) -> str:
    """`country=BR|language=pt|policy=spam`: the segment's stable key."""
    return "|".join(f"{name}={value}" for name, value in segment)


def segment_of(values: dict[str, str]) -> Segment:
    return tuple(sorted(values.items()))


@dataclass(frozen=True)
class SegmentSeries:
    """One segment's counts, one per period from `start`, every period present (zero when nothing)."""

    metric: Metric
    segment: Segment
    start: datetime
    grain: Grain
    counts: list[int]

    @property
    def timestamps(self) -> list[datetime]:
        return [self.start + i * self.grain.step for i in range(len(self.counts))]

    @property
    def total(self) -> int:
        return sum(self.counts)


def top_policy(policy_id: str | None) -> str:
    """A policy's top level (`hate_speech` for `hate_speech.dehumanization`)."""
    return policy_id.split(".")[0] if policy_id else "unspecified"


def floor_to(moment: datetime, grain: Grain) -> datetime:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if grain is Grain.DAY else moment


def series(
    session: Session, metric: Metric, *, since: datetime, until: datetime, grain: Grain = Grain.HOUR
) -> list[SegmentSeries]:
    """Every segment's series of `metric` over [since, until), by `grain`; segments with no row are absent."""
    if until <= since:
        raise InvalidInput("bad period", [FieldError("since", "must be before the end of the period")])
    rows = _reports(session, since, until) if metric is Metric.REPORTS else _violating(session, since, until)
    return bucket(metric, rows, since=since, until=until, grain=grain)


def bucket(
    metric: Metric,
    rows: Iterable[tuple[datetime, str, str | None, str | None]],
    *,
    since: datetime,
    until: datetime,
    grain: Grain,
) -> list[SegmentSeries]:
    """Count (at, policy, country, language) rows per segment and period."""
    start = floor_to(since, grain)
    periods = int((until - start) / grain.step) + (1 if (until - start) % grain.step else 0)
    counts: dict[Segment, list[int]] = defaultdict(lambda: [0] * periods)
    for at, policy, country, language in rows:
        index = int((_utc(at) - start) / grain.step)
        if 0 <= index < periods:
            segment = segment_of({"policy": policy, "country": country or UNKNOWN, "language": language or UNKNOWN})
            counts[segment][index] += 1
    return [SegmentSeries(metric, segment, start, grain, values) for segment, values in sorted(counts.items())]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _reports(
    session: Session, since: datetime, until: datetime
) -> Sequence[tuple[datetime, str, str | None, str | None]]:
    query = (
        select(Report.created_at, Report.policy_id, ContentItem.country, ContentItem.language)
        .join(ContentItem, ContentItem.pk == Report.content_pk)
        .where(Report.created_at >= since, Report.created_at < until)
    )
    return [(at, top_policy(policy), country, language) for at, policy, country, language in session.execute(query)]


def _violating(
    session: Session, since: datetime, until: datetime
) -> Sequence[tuple[datetime, str, str | None, str | None]]:
    query = (
        select(ContentItem.created_at, Decision.policy_id, ContentItem.country, ContentItem.language, ContentItem.pk)
        .join(Job, Job.pk == Decision.job_pk)
        .join(ContentItem, and_(Job.subject_type == "content", ContentItem.pk == Job.subject_pk))
        .where(
            Decision.final.is_(True),
            Decision.withdrawn_at.is_(None),
            Decision.policy_id.is_not(None),
            Job.kind == JobKind.REVIEW.value,
            Job.golden_pk.is_(None),
            ContentItem.created_at >= since,
            ContentItem.created_at < until,
        )
    )
    seen: set[int] = set()
    rows = []
    for at, policy, country, language, pk in session.execute(query):
        if pk not in seen:  # an item decided twice (an appeal's re-decision) counts once
            seen.add(pk)
            rows.append((at, top_policy(policy), country, language))
    return rows
