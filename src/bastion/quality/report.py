"""The quality report's shape: agreement, accuracy with Wilson intervals per reviewer, vendor, queue and
policy, the policy confusion matrix, the policy pairs that cause most disagreement, drift over time.

Pure data: `bastion.quality.engine` computes it from ratings; the CLI, the API and the pages render it.
`as_json()` is the JSON of `bastion quality report --format json` and of `GET /api/v1/quality/report`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    """When a score is flagged: with `confidence` (one-sided), its accuracy is below `accuracy`; the
    intervals shown are two-sided at `confidence`. See docs/quality.md."""

    accuracy: float = 0.8
    confidence: float = 0.95
    min_decisions: int = 30  # never flag on fewer scored decisions, whatever the bound says


@dataclass(frozen=True)
class Agreement:
    """Inter-rater agreement over the items rated at least twice."""

    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    percent_agreement: float | None
    items: int  # items with two ratings or more
    ratings: int  # ratings of those items


@dataclass(frozen=True)
class PairAgreement:
    """Cohen's kappa of two raters over the items both rated."""

    a: str
    b: str
    kappa: float | None
    items: int


@dataclass(frozen=True)
class Disagreement:
    """An example of a rating that differs from its reference (or the others' majority): the evidence."""

    decision_pk: int | None
    item: int
    label: str
    reference: str
    decided_at: datetime
    source: str


@dataclass(frozen=True)
class Score:
    """Accuracy of one group of ratings (a reviewer, vendor, queue or policy, or a reviewer on one policy).

    `scored` ratings have an answer to compare with: a reference (golden answer, QA re-review) or else
    the majority of the other raters of the item. `needed`: when not flagged but below the threshold,
    how many scored decisions at this accuracy it would take to flag with confidence (None otherwise).
    """

    key: str
    decisions: int
    scored: int
    correct: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    flagged: bool
    needed: int | None = None
    appeals: int = 0
    overturned: int = 0
    overturn_rate: float | None = None


@dataclass(frozen=True)
class ReviewerScore(Score):
    vendor: str | None = None
    policies: tuple[Score, ...] = ()  # the reviewer on each policy (flags a reviewer weak on one policy)
    disagreements: tuple[Disagreement, ...] = ()


@dataclass(frozen=True)
class Confusion:
    """`matrix[i][j]`: ratings whose answer was `labels[i]` and which said `labels[j]`."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class ConfusedPair:
    """Two labels raters confuse, both ways counted, and their share of all disagreements."""

    a: str
    b: str
    count: int
    share: float


@dataclass(frozen=True)
class DriftPoint:
    period_start: datetime
    decisions: int
    scored: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None


@dataclass(frozen=True)
class QualityReport:
    as_of: datetime
    since: datetime | None
    queue: str | None
    thresholds: Thresholds
    agreement: Agreement
    reviewers: tuple[ReviewerScore, ...]
    vendors: tuple[Score, ...]
    queues: tuple[Score, ...]
    policies: tuple[Score, ...]
    confusion: Confusion
    confused_pairs: tuple[ConfusedPair, ...]
    drift: tuple[DriftPoint, ...]
    pairs: tuple[PairAgreement, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The report as JSON: scores keyed as `reviewer_id`, `vendor`, `queue` and `policy`."""

        def keyed(scores: tuple[Score, ...], name: str) -> list[dict[str, Any]]:
            rows = []
            for score in scores:
                row = _plain(asdict(score))
                row[name] = row.pop("key")
                rows.append(row)
            return rows

        reviewers = keyed(self.reviewers, "reviewer_id")
        for row in reviewers:
            for policy in row["policies"]:
                policy["policy"] = policy.pop("key")
        return {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "queue": self.queue,
            "thresholds": asdict(self.thresholds),
            "agreement": asdict(self.agreement),
            "pairs": [asdict(pair) for pair in self.pairs],
            "reviewers": reviewers,
            "vendors": keyed(self.vendors, "vendor"),
            "queues": keyed(self.queues, "queue"),
            "policies": keyed(self.policies, "policy"),
            "confusion": {"labels": list(self.confusion.labels), "matrix": [list(r) for r in self.confusion.matrix]},
            "confused_pairs": [asdict(pair) for pair in self.confused_pairs],
            "drift": [_plain(asdict(point)) for point in self.drift],
        }


def _plain(value: Any) -> Any:
    """Datetimes as ISO strings and tuples as lists, all the way down."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
