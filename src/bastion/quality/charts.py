"""The quality pages' charts: accuracy over time with its interval, and the policy confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

from bastion.charts import Bar, Cell, Chart, Rate, bars, matrix, rate_over_time
from bastion.quality.report import DriftPoint, QualityReport


def drift_chart(points: Sequence[DriftPoint], floor: float) -> Chart | None:
    """Accuracy per period with its 95 % interval as a band, and the flagging threshold as a dashed rule."""
    rates = [Rate(p.period_start.strftime("%d %b"), p.accuracy, p.accuracy_low, p.accuracy_high) for p in points]
    return rate_over_time(rates, value_title="accuracy", floor=floor)


def confusion_chart(report: QualityReport) -> Chart | None:
    """The confusion matrix as a heat map: rows are the answers, columns what raters said."""
    labels = report.confusion.labels
    cells = [
        Cell(answer, said, count)
        for answer, row in zip(labels, report.confusion.matrix, strict=True)
        for said, count in zip(labels, row, strict=True)
    ]
    return matrix(cells, order=labels, row_title="answer", column_title="rated as")


def pairs_chart(report: QualityReport) -> Chart | None:
    """The label pairs that cause most disagreement, most first."""
    shown = [Bar(f"{p.a} ↔ {p.b}", p.count, unit="disagreements") for p in report.confused_pairs[:10]]
    return bars(shown, value_title="disagreements", colour="#b54708")


def policy_charts(report: QualityReport) -> dict[str, Chart | None]:
    return {"confusion": confusion_chart(report), "pairs": pairs_chart(report)}
