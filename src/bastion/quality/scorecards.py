"""Scorecards: what the quality pages show of one reviewer, one vendor and the policies, from the report.

The report (`bastion.quality.report.QualityReport`) scores everyone at once; a scorecard is the part of
it about one reviewer or one vendor, with that reviewer's (or vendor's) accuracy over time. Accuracy
over time is the report's own computation on each period's ratings: a reviewer's answers are judged
against the same references and majorities as in the full report, never by a second formula here.

`QualityReports` computes reports from the store and keeps each one briefly (a minute by default), so
that the overview, a scorecard and the supervisor view opened one after the other read the ratings once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bastion.auth.principal import Principal
from bastion.clock import Clock, as_utc, utc_midnight
from bastion.domain.access import Permission
from bastion.domain.quality import RatingSource
from bastion.errors import FieldError, Forbidden, InvalidInput, NotFound
from bastion.quality.report import Disagreement, DriftPoint, QualityReport, ReviewerScore, Score, Thresholds
from bastion.store.schema import ContentItem

if TYPE_CHECKING:
    import pyarrow as pa

    from bastion.store.database import Database

__all__ = [
    "DEFAULT_TTL",
    "DRIFT_PERIODS",
    "Example",
    "PolicyPairs",
    "QualityReports",
    "ReviewerScorecard",
    "VendorScorecard",
    "accuracy_by_reviewer",
    "can_see_scorecard",
    "parse_since",
    "reports_of",
    "reviewer_scorecard",
    "scorecard_of",
    "vendor_scorecard",
]

DEFAULT_TTL = timedelta(seconds=60)
DRIFT_PERIODS = 8  # weeks shown on a scorecard's drift chart
EXAMPLE_TEXT_CHARS = 400

LoadRatings = Callable[["Database", datetime | None, str | None], "pa.Table"]
ComputeReport = Callable[["pa.Table", datetime, datetime | None, str | None], QualityReport]


@dataclass(frozen=True)
class Example:
    """One disagreement of a reviewer, with the item's external id and the start of its text (hostile:
    the pages escape it)."""

    content_id: str | None
    text: str | None
    label: str
    reference: str
    decided_at: datetime
    source: str


@dataclass(frozen=True)
class ReviewerScorecard:
    as_of: datetime
    since: datetime | None
    queue: str | None
    thresholds: Thresholds
    reviewer: ReviewerScore
    drift: tuple[DriftPoint, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class VendorScorecard:
    as_of: datetime
    since: datetime | None
    queue: str | None
    thresholds: Thresholds
    vendor: Score
    reviewers: tuple[ReviewerScore, ...]
    drift: tuple[DriftPoint, ...]
    policies: tuple[Score, ...] = ()  # its reviewers' scores on each policy, together (never flagged)


@dataclass(frozen=True)
class PolicyPairs:
    """The policy confusion view: the matrix and the pairs that cause most disagreement."""

    as_of: datetime
    since: datetime | None
    queue: str | None
    report: QualityReport


def reviewer_scorecard(
    report: QualityReport, name: str, drift: Sequence[DriftPoint], examples: Sequence[Example] = ()
) -> ReviewerScorecard:
    """The report's part about the reviewer `name`: NotFound when they have no rating in it."""
    found = next((r for r in report.reviewers if r.key == name), None)
    if found is None:
        raise NotFound(f"no ratings by the reviewer {name!r} in this period")
    return ReviewerScorecard(
        report.as_of, report.since, report.queue, report.thresholds, found, tuple(drift), tuple(examples)
    )


def vendor_scorecard(report: QualityReport, name: str, drift: Sequence[DriftPoint]) -> VendorScorecard:
    """The report's part about the vendor `name` and its reviewers: NotFound when it has no rating in it."""
    found = next((v for v in report.vendors if v.key == name), None)
    if found is None:
        raise NotFound(f"no ratings by the vendor {name!r}'s reviewers in this period")
    reviewers = tuple(r for r in report.reviewers if r.vendor == name)
    return VendorScorecard(
        report.as_of,
        report.since,
        report.queue,
        report.thresholds,
        found,
        reviewers,
        tuple(drift),
        _pooled([p for r in reviewers for p in r.policies], report.thresholds.confidence),
    )


def _pooled(scores: Sequence[Score], confidence: float) -> tuple[Score, ...]:
    """Scores of the same key added up, with the Wilson interval of the sums (statsmodels), busiest first."""
    from bastion.quality.statistics import wilson  # slow to import: only when a page is computed

    sums: dict[str, list[int]] = {}
    for score in scores:
        total = sums.setdefault(score.key, [0, 0, 0])
        total[0] += score.decisions
        total[1] += score.scored
        total[2] += score.correct
    pooled = []
    for key, (decisions, scored, correct) in sums.items():
        if scored:
            low, high = wilson(correct, scored, 1 - confidence)
            pooled.append(Score(key, decisions, scored, correct, correct / scored, low, high, False))
        else:
            pooled.append(Score(key, decisions, 0, 0, None, None, None, False))
    return tuple(sorted(pooled, key=lambda s: (-s.decisions, s.key)))


def scorecard_of(
    reports: QualityReports, database: Database, name: str, since: datetime | None, queue: str | None
) -> ReviewerScorecard:
    """The scorecard of the reviewer `name`, with their accuracy per week and their disagreements' items."""
    report = reports.report(since, queue)
    found = next((r for r in report.reviewers if r.key == name), None)
    if found is None:
        raise NotFound(f"no ratings by the reviewer {name!r} in this period")
    drift = reports.drift(since, queue, reviewer=name)
    return reviewer_scorecard(report, name, drift, examples_of(database, found.disagreements))


def accuracy_by_reviewer(reports: QualityReports, since: datetime) -> dict[str, ReviewerScore]:
    """Each reviewer's score over the ratings since `since` (the day it falls in, so the kept report serves
    every request of that day), for the supervisor's table beside decisions per reviewer."""
    report = reports.report(utc_midnight(as_utc(since)), None)
    return {r.key: r for r in report.reviewers}


def can_see_scorecard(principal: Principal, name: str) -> None:
    """Everyone's scorecard needs quality.read; one's own, review.work. Forbidden otherwise."""
    if principal.can(Permission.QUALITY_READ):
        return
    if principal.can(Permission.REVIEW_WORK) and principal.name == f"user:{name}":
        return
    raise Forbidden("only quality readers see another reviewer's scorecard")


def parse_since(text: str) -> datetime | None:
    """The `since` filter: a day (2026-11-30) or a moment in ISO 8601; "" for none. Naive means UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "the filter is not valid", [FieldError("since", f"{text!r} is not a day like 2026-11-30")]
        ) from None
    return as_utc(moment)


def reports_of(holder: object, database: Database, clock: Clock) -> QualityReports:
    """The reports kept by `holder` (the app's state), made on first use."""
    reports = getattr(holder, "quality_reports", None)
    if not isinstance(reports, QualityReports):
        reports = QualityReports(database, clock)
        setattr(holder, "quality_reports", reports)  # noqa: B010 - the app's state is a plain namespace
    return reports


def drift_periods(as_of: datetime, periods: int = DRIFT_PERIODS) -> list[tuple[datetime, datetime]]:
    """Weeks ending with the one running at `as_of`, oldest first: [start, end) each, in UTC."""
    end = utc_midnight(as_utc(as_of)) + timedelta(days=1)
    return [(end - timedelta(weeks=periods - i), end - timedelta(weeks=periods - i - 1)) for i in range(periods)]


def examples_of(database: Database, disagreements: Sequence[Disagreement]) -> list[Example]:
    """The disagreements with their items' external ids and the start of their texts. Calibration answers
    are left out: an open exercise's answers are hidden from its reviewers, and the others' majority on an
    item would tell them; the exercise's own page compares them once it closes."""
    disagreements = [d for d in disagreements if d.source != RatingSource.CALIBRATION]
    pks = {d.item for d in disagreements if d.item > 0}
    items: dict[int, tuple[str, str | None]] = {}
    if pks:
        with database.transaction() as session:
            rows = session.execute(
                select(ContentItem.pk, ContentItem.external_id, ContentItem.text).where(ContentItem.pk.in_(pks))
            )
            items = {pk: (external_id, text) for pk, external_id, text in rows}
    examples = []
    for d in disagreements:
        external_id, text = items.get(d.item, (None, None))
        short = text if text is None or len(text) <= EXAMPLE_TEXT_CHARS else text[: EXAMPLE_TEXT_CHARS - 1] + "…"
        examples.append(Example(external_id, short, d.label, d.reference, d.decided_at, d.source))
    return examples


class QualityReports:
    """Quality reports of one store, each kept `ttl` after it was computed (keyed by its filters).

    `load` reads the ratings (`bastion.quality.ratings.load_ratings`), `compute` scores them
    (`bastion.quality.engine.compute_report`); both can be replaced, e.g. by a test's own report.
    """

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        ttl: timedelta = DEFAULT_TTL,
        load: LoadRatings | None = None,
        compute: ComputeReport | None = None,
    ) -> None:
        self.database, self.clock, self.ttl = database, clock, ttl
        self._load = load or _load_ratings
        self._compute = compute or _compute_report
        self._lock = threading.Lock()
        self._ratings: dict[tuple[datetime | None, str | None], tuple[datetime, pa.Table]] = {}
        self._reports: dict[tuple[object, ...], tuple[datetime, QualityReport]] = {}

    def ratings(self, since: datetime | None, queue: str | None) -> pa.Table:
        now = self.clock()
        key = (since, queue)
        with self._lock:
            kept = self._ratings.get(key)
            if kept is not None and now - kept[0] < self.ttl:
                return kept[1]
        table = self._load(self.database, since, queue)
        with self._lock:
            self._prune(now)
            self._ratings[key] = (now, table)
        return table

    def report(self, since: datetime | None = None, queue: str | None = None) -> QualityReport:
        return self._report_of(since, queue, None)

    def drift(
        self, since: datetime | None, queue: str | None, *, reviewer: str | None = None, vendor: str | None = None
    ) -> tuple[DriftPoint, ...]:
        """Accuracy per week of one reviewer or vendor: the report of each week's ratings, its score picked.

        Each week's report reads only the ratings of the items the reviewer (or the vendor's reviewers)
        rated that week: a score depends on nothing else (its references and the others' majority are
        on those items), and a scorecard then costs a fraction of the whole report."""
        column, wanted = ("rater", reviewer) if reviewer is not None else ("vendor", vendor)
        points = []
        for start, end in drift_periods(self.clock()):
            if since is not None and end <= since:
                continue
            report = self._report_of(since, queue, (start, end), (column, wanted))
            scores: Sequence[Score] = report.reviewers if reviewer is not None else report.vendors
            score = next((s for s in scores if s.key == wanted), None)
            if score is None:
                points.append(DriftPoint(start, 0, 0, None, None, None))
            else:
                points.append(
                    DriftPoint(
                        start, score.decisions, score.scored, score.accuracy, score.accuracy_low, score.accuracy_high
                    )
                )
        return tuple(points)

    def _report_of(
        self,
        since: datetime | None,
        queue: str | None,
        period: tuple[datetime, datetime] | None,
        around: tuple[str, str | None] | None = None,
    ) -> QualityReport:
        now = self.clock()
        key: tuple[object, ...] = (since, queue, period, around)
        with self._lock:
            kept = self._reports.get(key)
            if kept is not None and now - kept[0] < self.ttl:
                return kept[1]
        ratings = self.ratings(since, queue)
        if period is not None:
            ratings = _between(ratings, *period)
        if around is not None:
            ratings = _items_rated_by(ratings, *around)
        report = self._compute(ratings, now, since, queue)
        with self._lock:
            self._prune(now)
            self._reports[key] = (now, report)
        return report

    def _prune(self, now: datetime) -> None:
        """Forget what is past its time: the ratings of a large store are big, and filters are many."""
        for key in [k for k, (at, _) in self._ratings.items() if now - at >= self.ttl]:
            del self._ratings[key]
        for old in [k for k, (at, _) in self._reports.items() if now - at >= self.ttl]:
            del self._reports[old]


def _items_rated_by(ratings: pa.Table, column: str, value: str | None) -> pa.Table:
    """Every rating of the items that the rater (or a rater of the vendor) `value` rated."""
    import pyarrow.compute as pc

    theirs = ratings.filter(pc.equal(ratings.column(column), value))
    return ratings.filter(pc.is_in(ratings.column("item"), value_set=pc.unique(theirs.column("item"))))


def _between(ratings: pa.Table, start: datetime, end: datetime) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    when = ratings.column("decided_at")
    low = pa.scalar(as_utc(start), type=when.type)
    high = pa.scalar(as_utc(end), type=when.type)
    return ratings.filter(pc.and_(pc.greater_equal(when, low), pc.less(when, high)))


def _load_ratings(database: Database, since: datetime | None, queue: str | None) -> pa.Table:
    from bastion.quality.ratings import load_ratings  # on first use: it pulls in DuckDB, which most requests never need

    return load_ratings(database, since=since, queue=queue)


def _compute_report(ratings: pa.Table, as_of: datetime, since: datetime | None, queue: str | None) -> QualityReport:
    from bastion.quality.engine import compute_report

    return compute_report(ratings, as_of=as_of, since=since, queue=queue)
