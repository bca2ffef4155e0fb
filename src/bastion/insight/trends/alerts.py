"""Trend alerts: scan the store's series and texts, record what is new, announce it after commit.

`run_trends` scans every metric's hourly series per segment for bursts (`bursts.py`: a window count test
against the segment's own rate, corrected over every window of every segment), and the texts of reported
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

import numpy as np
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.happened import TrendDetected
from bastion.domain.insight import TrendKind
from bastion.errors import FieldError, InvalidInput
from bastion.insight.trends.series import (
    Grain,
    Metric,
    Segment,
    SegmentSeries,
    segment_key,
    segment_of,
    series,
)
from bastion.plugins import announce
from bastion.store.database import Database
from bastion.store.schema import TrendAlert

if TYPE_CHECKING:
    from bastion.insight.trends.bursts import Burst
    from bastion.insight.trends.terms import EmergingTerm

log = structlog.get_logger(__name__)

DEFAULT_SPAN = timedelta(days=28)
SAME_ALERT = timedelta(days=1)
EVIDENCE_BEFORE = 72  # periods of the series kept as evidence before the change
EVIDENCE_AFTER = 24
# A segment whose series holds fewer events than a burst needs (`bursts.MIN_BURST_EVENTS`) over the whole
# scan cannot hold one: it is not tested, nor counted in the correction.
MIN_SEGMENT_EVENTS = 8


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
    from bastion.insight.trends.terms import emerging_terms_scan

    since = since or now - DEFAULT_SPAN
    if since >= now:
        raise InvalidInput("bad --since", [FieldError("since", "must be before now")])
    with database.transaction() as session:
        scanned = [s for metric in Metric for s in series(session, metric, since=since, until=now, grain=Grain.HOUR)]
        findings = burst_findings(scanned)
        findings += [
            term_finding(term, split)
            for term, split in emerging_terms_scan(documents(session, since, now), since=since, until=now)
        ]
        added = [pk for f in findings if (pk := _store(session, f, now)) is not None]
    log.debug("trends_scanned", segments=len(scanned), found=len(findings), added=len(added))
    return TrendRun(since, now, len(scanned), len(findings), added)


def burst_findings(scanned: Sequence[SegmentSeries]) -> list[Finding]:
    """The bursts of every segment's series (`bursts.py`), each metric's segments corrected together."""
    from bastion.insight.trends.bursts import bursts, exposure, significant

    findings = []
    for metric in Metric:
        of_metric = [s for s in scanned if s.metric is metric]
        if not of_metric:
            continue
        period_hours = of_metric[0].grain.step / timedelta(hours=1)
        everywhere = np.sum([np.asarray(s.counts, dtype=np.float64) for s in of_metric], axis=0)
        tested = [s for s in of_metric if s.total >= MIN_SEGMENT_EVENTS]
        candidates = [
            bursts(
                found.counts,
                exposure(everywhere - np.asarray(found.counts, dtype=np.float64), period_hours),
                period_hours,
            )
            for found in tested
        ]
        for found, standing in zip(tested, significant(candidates), strict=True):
            for burst in standing:
                findings.append(
                    Finding(
                        kind=TrendKind.SPIKE,
                        metric=metric.value,
                        segment=found.segment,
                        at=found.timestamps[burst.start],
                        score=round(1.0 - burst.p_value, 6),
                        evidence=_burst_evidence(found, burst),
                    )
                )
    return findings


def _burst_evidence(found: SegmentSeries, burst: Burst) -> dict[str, Any]:
    low, high = max(0, burst.start - EVIDENCE_BEFORE), min(len(found.counts), burst.end + EVIDENCE_AFTER)
    width = burst.end - burst.start
    rest = len(found.counts) - width
    stamps = found.timestamps
    return {
        "grain": found.grain.value,
        "series": [
            {"at": t.isoformat(), "count": c} for t, c in zip(stamps[low:high], found.counts[low:high], strict=True)
        ],
        "detected_at_index": burst.start - low,
        "until": (stamps[burst.end - 1] + found.grain.step).isoformat(),
        "periods": width,
        "observed": round(burst.observed / width, 3),  # a period, in the window
        "expected": round(burst.expected / width, 3),
        "baseline_mean": round((found.total - burst.observed) / rest, 3) if rest else None,
        "count": burst.observed,
        "expected_count": burst.expected,
        "excess": round(burst.excess, 3),
        "p_value": burst.p_value,
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
