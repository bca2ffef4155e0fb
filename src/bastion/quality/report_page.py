"""The quality report as one self-contained HTML page (`bastion quality report --format html`): no
script, no file beside it, every value escaped (Jinja2 autoescape: names and labels are data)."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from bastion.quality.report import DriftPoint, QualityReport, Score


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _interval(score: Score | DriftPoint) -> str:
    if score.accuracy_low is None or score.accuracy_high is None:
        return ""
    return f"{score.accuracy_low:.1%} – {score.accuracy_high:.1%}"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("bastion.quality", "templates"), autoescape=select_autoescape(default=True)
    )
    environment.globals.update(number=_number, percent=_percent, interval=_interval)
    return environment


def render_report(report: QualityReport) -> str:
    return _environment().get_template("quality_report.html").render(report=report)
