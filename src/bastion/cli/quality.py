"""`bastion quality`: decision quality. `report` prints the quality report of the store's ratings: a
summary for people, JSON for scripts, or one self-contained HTML page."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.errors import FieldError, InvalidInput
from bastion.quality.report import QualityReport, Score
from bastion.quality.report_page import render_report

quality_app = typer.Typer(help="Decision quality: reports, QA plans, golden sets, calibration.", no_args_is_help=True)


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    HTML = "html"


def parse_since(text: str) -> datetime:
    """`YYYY-MM-DD` (from midnight UTC) or an ISO time (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "bad --since", [FieldError("--since", f"{text!r} is not a date (YYYY-MM-DD) or an ISO time")]
        ) from None
    if len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@quality_app.command("report")
def report(
    output_format: ReportFormat = typer.Option(
        ReportFormat.TABLE, "--format", metavar="[table|json|html]", help="table for people, json, or an html page."
    ),
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Only decisions from this date (YYYY-MM-DD, UTC) or ISO time."
    ),
    queue: str | None = typer.Option(None, "--queue", metavar="QUEUE", help="Only decisions in this queue."),
    output: Path | None = typer.Option(
        None, "--output", metavar="FILE", help="Write the report to FILE instead of printing it."
    ),
) -> None:
    """Agreement, accuracy with Wilson intervals and flags per reviewer, vendor, queue and policy, appeal
    overturn rates, the policies confused most, and accuracy over time (see docs/quality.md)."""
    from bastion.quality.engine import quality_report  # DuckDB, pandas and scikit-learn: not at start-up

    found = quality_report(
        open_database(), now=system_clock(), since=None if since is None else parse_since(since), queue=queue
    )
    if output_format is ReportFormat.TABLE:
        if output is None:
            _print_summary(found, console)
            return
        with output.open("w", encoding="utf-8") as handle:
            _print_summary(found, Console(file=handle, width=160, no_color=True, highlight=False))
        console.print(Text(f"report written to {output}"))
        return
    if output_format is ReportFormat.HTML:
        text = render_report(found)
    else:
        text = json.dumps(found.as_json(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    console.print(Text(f"report written to {output}"))


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _scores(title: str, name: str, scores: tuple[Score, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in (name, "decisions", "scored", "accuracy", "interval", "flagged", "needed", "overturned"):
        table.add_column(header, justify="left" if header in (name, "flagged") else "right")
    for s in sorted(scores, key=lambda s: (not s.flagged, s.accuracy if s.accuracy is not None else 2.0, s.key)):
        interval = "" if s.accuracy_low is None else f"{_percent(s.accuracy_low)} – {_percent(s.accuracy_high)}"
        table.add_row(
            Text(s.key),
            str(s.decisions),
            str(s.scored),
            _percent(s.accuracy),
            interval,
            "FLAGGED" if s.flagged else "",
            "" if s.needed is None else str(s.needed),
            "" if s.overturn_rate is None else f"{s.overturned}/{s.appeals}",
        )
    return table


def _print_summary(found: QualityReport, console: Console) -> None:
    a = found.agreement

    def figure(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    console.print(
        Text(
            f"Agreement over {a.items:,} items rated twice or more ({a.ratings:,} ratings): "
            f"Krippendorff's alpha {figure(a.krippendorff_alpha)}, Fleiss' kappa {figure(a.fleiss_kappa)}, "
            f"percent agreement {_percent(a.percent_agreement) or 'n/a'}"
        )
    )
    t = found.thresholds
    console.print(
        Text(
            f"Flagged: at least {t.min_decisions} scored decisions and accuracy below {t.accuracy:.0%} "
            f"with {t.confidence:.0%} confidence (the one-sided Wilson bound; a reviewer: overall or on one "
            f"policy). Intervals shown: {t.confidence:.0%} Wilson."
        )
    )
    if not found.reviewers:
        console.print(Text("No decisions to report on."))
        return
    console.print(_scores("Reviewers", "reviewer", found.reviewers))
    for reviewer in found.reviewers:
        weak = tuple(p for p in reviewer.policies if p.flagged)
        if weak:
            names = ", ".join(f"{p.key} ({_percent(p.accuracy)} of {p.scored})" for p in weak)
            console.print(Text(f"{reviewer.key} is flagged on {names}"))
    for title, name, scores in (
        ("Vendors", "vendor", found.vendors),
        ("Queues", "queue", found.queues),
        ("Policies", "policy", found.policies),
    ):
        if scores:
            console.print(_scores(title, name, scores))
    if found.confused_pairs:
        pairs = Table(title="Policies confused most", title_justify="left")
        for header in ("label", "label", "disagreements", "share"):
            pairs.add_column(header, justify="right" if header in ("disagreements", "share") else "left")
        for pair in found.confused_pairs[:5]:
            pairs.add_row(Text(pair.a), Text(pair.b), str(pair.count), _percent(pair.share))
        console.print(pairs)
