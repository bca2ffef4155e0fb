"""`bastion report weekly`: the weekly operations report as one self-contained HTML file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.errors import FieldError, InvalidInput

report_app = typer.Typer(help="Reports for an operations review.", no_args_is_help=True)


def _week_ending(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "bad --week-ending", [FieldError("--week-ending", f"{text!r} is not a date (YYYY-MM-DD)")]
        ) from None


@report_app.command("weekly")
def weekly(
    out: Path = typer.Option(..., "--out", metavar="FILE.html", help="The HTML file to write (replaced whole)."),
    week_ending: str | None = typer.Option(
        None, "--week-ending", metavar="DATE", help="The week's last day (YYYY-MM-DD, UTC; default: yesterday)."
    ),
) -> None:
    """Headline metrics with their change against the week before, trends, recommendations and charts."""
    from bastion.insight.weekly.report import last_full_day, weekly_report, write_report  # Ibis, pandas: here

    now = system_clock()
    ending = _week_ending(week_ending) or last_full_day(now)
    found = weekly_report(open_database(), week_ending=ending, now=now)
    written = write_report(found, out)
    console.print(f"weekly report for the week ending {ending.isoformat()} written to {written}")
