"""`bastion trends`: the spike and level-shift detector on any series (`scan`), and the scan of the store
(`run`) that records trend alerts."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.console import console, open_database
from bastion.cli.quality import parse_since
from bastion.clock import system_clock

trends_app = typer.Typer(help="Trends: spikes, level shifts and emerging terms.", no_args_is_help=True)


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@trends_app.command("scan")
def scan(
    file: Path = typer.Argument(..., metavar="FILE.csv", help="A CSV file with a header (or a .csv.gz)."),
    timestamp_col: str = typer.Option("timestamp", "--timestamp-col", metavar="C", help="The timestamp column."),
    value_col: str = typer.Option("value", "--value-col", metavar="C", help="The value column."),
    output_format: ScanFormat = typer.Option(
        ScanFormat.TABLE, "--format", metavar="[table|json]", help="table for people, json for scripts."
    ),
) -> None:
    """Run the detector on an external series: the rows where a spike or a level shift was detected,
    each found from the rows up to it only, with a score from 0 to 1 (see docs/insight.md, "Trends")."""
    from bastion.insight.trends.scan import scan_file  # the statistics load for this command only

    result = scan_file(file, timestamp_col, value_col)
    if result.earlier_rows:
        noun = "row is" if result.earlier_rows == 1 else "rows are"
        typer.echo(
            f"note: {result.earlier_rows:,} {noun} stamped earlier than the row before (a clock set back?); "
            "scanned in file order",
            err=True,
        )
    if output_format is ScanFormat.JSON:
        sys.stdout.write(json.dumps(result.as_json()) + "\n")
        return
    table = Table(title=f"{len(result.detections)} detections in {result.rows} rows")
    for column in ("timestamp", "score", "kind", "value", "expected"):
        table.add_column(column, justify="right" if column in ("score", "value", "expected") else "left")
    for d in result.detections:
        table.add_row(d.timestamp, f"{d.score:.3f}", d.kind, f"{d.observed:g}", f"{d.expected:.4g}")
    console.print(table)


@trends_app.command("run")
def run(
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Scan from this date (YYYY-MM-DD, UTC) or ISO time; default 28 days ago."
    ),
    output_format: ScanFormat = typer.Option(
        ScanFormat.TABLE, "--format", metavar="[table|json]", help="table for people, json for scripts."
    ),
) -> None:
    """Scan the store: every metric's hourly series per policy x country x language for spikes and level
    shifts, and reported and violating content for emerging terms; store the new alerts (re-running adds
    no duplicates) and announce each to the trend_detected hook."""
    from bastion.insight.trends.alerts import run_trends

    done = run_trends(open_database(), now=system_clock(), since=None if since is None else parse_since(since))
    if output_format is ScanFormat.JSON:
        sys.stdout.write(json.dumps(done.as_json()) + "\n")
        return
    console.print(
        f"scanned {done.segments_scanned} segments from {done.since:%Y-%m-%d %H:%M} "
        f"to {done.until:%Y-%m-%d %H:%M} UTC: {done.found} findings, {len(done.added)} new alerts"
    )
