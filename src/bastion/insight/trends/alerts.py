"""Trend alerts: scan the store's series and texts, record what is new, announce it after commit.

`run_trends` scans every metric's hourly series per segment with the detector, and the texts of reported
and violating content for emerging terms. Each finding is stored once in `trend_alerts` with its
evidence: re-scanning the same period adds nothing (an alert of the same kind, metric and segment that
began within a day of another is the same alert). Each new alert is announced to the `trend_detected`
hook once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.happened import TrendDetected
from bastion.domain.insight import TrendKind
from bastion.errors import FieldError, InvalidInput
from bastion.insight.trends.series import Grain, Metric, Segment, SegmentSeries, segment_key, segment_of, series
from bastion.plugins import announce
from bastion.store.database import Database
from bastion.store.schema import TrendAlert

if TYPE_CHECKING:
    from bastion.insight.trends.detector import Detection
    from bastion.insight.trends.terms import EmergingTerm

log = structlog.get_logger(__name__)

DEFAULT_SPAN = timedelta(days=28)
RECENT = timedelta(days=7)  # emerging terms: the recent period, against everything before it
SAME_ALERT = timedelta(days=1)
EVIDENCE_BEFORE = 72  # periods of the series kept as evidence before the change
EVIDENCE_AFTER = 24
# A segment whose series holds fewer events than this over the whole scan is too thin to judge: one
# event more or less there is noise, not a trend.
MIN_SEGMENT_EVENTS = 20
# A detection must stand on enough events: at least this many in the day up to it, and a count over its
# time scale that a Poisson count at the expected rate (or last week's mean, if higher) reaches by chance
# less often than this.
MIN_EVENTS_AT_ALERT = 5
POISSON_P = 0.001
WARM_UP = timedelta(days=7)  # the first week of a scan is the baseline: no alert there


@dataclass(frozen=True)
class Finding:
    kind: TrendKind
    metric: str
    segment: Segment
    at: datetime
    score: float
    evidence: dict[str, Any]


@dataclass(frozen=True)
class TrendRun:
    since: datetime
    until: datetime
    segments_scanned: int
    found: int
    added: list[int] = field(default_factory=list)  # the new alerts' keys

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "segments_scanned": self.segments_scanned,
            "found": self.found,
            "added": len(self.added),
        }


def run_trends(database: Database, *, now: datetime, since: datetime | None = None) -> TrendRun:
    """Scan [since, now) (default: the last 28 days) and store every new alert."""
    # The statistics (pandas, SciPy, statsmodels) load here, not when a page or the API starts.
    from bastion.insight.trends.documents import documents
    from bastion.insight.trends.terms import emerging_terms

    since = since or now - DEFAULT_SPAN
    if since >= now:
        raise InvalidInput("bad --since", [FieldError("since", "must be before now")])
    with database.transaction() as session:
        scanned = [s for metric in Metric for s in series(session, metric, since=since, until=now, grain=Grain.HOUR)]
        findings = [f for s in scanned if s.total >= MIN_SEGMENT_EVENTS for f in series_findings(s)]
        recent_from = max(since + (now - since) / 2, now - RECENT)
        findings += [
            term_finding(t, recent_from)
            for t in emerging_terms(documents(session, since, now), recent_from=recent_from)
        ]
        added = [pk for f in findings if (pk := _store(session, f, now)) is not None]
    log.debug("trends_scanned", segments=len(scanned), found=len(findings), added=len(added))
    return TrendRun(since, now, len(scanned), len(findings), added)


def series_findings(found: SegmentSeries) -> list[Finding]:
    """The detector's rises (spikes and level shifts up) in one segment's series that stand on enough events."""
    from bastion.insight.trends.detector import detect

    counts = found.counts
    stamps = found.timestamps
    day = max(1, round(timedelta(days=1) / found.grain.step))
    findings = []
    warm_up = round(WARM_UP / found.grain.step)
    for detection in detect(stamps, [float(c) for c in counts]):
        i = detection.index
        # A harm trend is a rise; in thin counts a drop is mostly the quiet after a burst.
        if i < warm_up or detection.observed <= detection.expected or not _stands(counts, detection, day):
            continue
        findings.append(
            Finding(
                kind=detection.kind,
                metric=found.metric.value,
                segment=found.segment,
                at=stamps[i],
                score=detection.score,
                evidence=_series_evidence(found, detection),
            )
        )
    return findings


def _stands(counts: Sequence[int], detection: Detection, day: int) -> bool:
    """Enough events in the day up to the detection, and a count on its scale unlikely by chance."""
    from scipy.stats import poisson

    i = detection.index
    if sum(counts[max(0, i - day + 1) : i + 1]) < MIN_EVENTS_AT_ALERT:
        return False
    week = counts[max(0, i - 7 * day) : i]
    rate = max(detection.expected, sum(week) / len(week) if week else 0.0, 0.0)
    seen = sum(counts[max(0, i - detection.rows + 1) : i + 1])
    return float(poisson.sf(seen - 1, max(rate * detection.rows, 1e-9))) < POISSON_P


def _series_evidence(found: SegmentSeries, detection: Detection) -> dict[str, Any]:
    i = detection.index
    low, high = max(0, i - EVIDENCE_BEFORE), min(len(found.counts), i + EVIDENCE_AFTER + 1)
    before = found.counts[max(0, i - 7 * 24) : i]
    return {
        "grain": found.grain.value,
        "series": [
            {"at": t.isoformat(), "count": c}
            for t, c in zip(found.timestamps[low:high], found.counts[low:high], strict=True)
        ],
        "detected_at_index": i - low,
        "observed": round(detection.observed, 3),
        "expected": round(detection.expected, 3),
        "baseline_mean": round(sum(before) / len(before), 3) if before else None,
        "count": found.counts[i],
        "total": found.total,
    }


def term_finding(term: EmergingTerm, recent_from: datetime) -> Finding:
    segment = segment_of({"language": term.language, "term": term.term})
    return Finding(
        kind=TrendKind.EMERGING_TERM,
        metric="term",
        segment=segment,
        at=term.first_seen,
        score=term.score,
        evidence={
            "recent_from": recent_from.isoformat(),
            "recent_documents": term.recent_documents,
            "recent_total": term.recent_total,
            "baseline_documents": term.baseline_documents,
            "baseline_total": term.baseline_total,
            "ratio": term.ratio,
            "p_value": term.p_value,
            "policies": term.policies,
        },
    )


def _store(session: Session, finding: Finding, now: datetime) -> int | None:
    key = segment_key(finding.segment)
    same = session.scalar(
        select(TrendAlert.pk).where(
            TrendAlert.kind == finding.kind.value,
            TrendAlert.metric == finding.metric,
            TrendAlert.segment_key == key,
            TrendAlert.at > finding.at - SAME_ALERT,
            TrendAlert.at < finding.at + SAME_ALERT,
        )
    )
    if same is not None:
        return None
    row = TrendAlert(
        kind=finding.kind.value,
        metric=finding.metric,
        segment_key=key,
        segment=dict(finding.segment),
        at=finding.at,
        score=finding.score,
        evidence=finding.evidence,
        detected_at=now,
    )
    session.add(row)
    session.flush()
    announce(
        session,
        TrendDetected(
            alert_pk=row.pk,
            kind=finding.kind.value,
            metric=finding.metric,
            segment=finding.segment,
            at=finding.at,
            score=finding.score,
            detected_at=now,
        ),
    )
    return row.pk


def list_alerts(session: Session, *, kind: TrendKind | None = None, limit: int = 200) -> Sequence[TrendAlert]:
    """The newest alerts first (by when the change began)."""
    query = select(TrendAlert).order_by(TrendAlert.at.desc(), TrendAlert.pk.desc()).limit(limit)
    if kind is not None:
        query = query.where(TrendAlert.kind == kind.value)
    return session.scalars(query).all()
