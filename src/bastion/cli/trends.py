"""`bastion trends`: the spike and level-shift detector on any series (`scan`)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from bastion.cli.console import console
from bastion.insight.trends.scan import scan_file

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
    result = scan_file(file, timestamp_col, value_col)
    if output_format is ScanFormat.JSON:
        sys.stdout.write(json.dumps(result.as_json()) + "\n")
        return
    table = Table(title=f"{len(result.detections)} detections in {result.rows} rows")
    for column in ("timestamp", "score", "kind", "value", "expected"):
        table.add_column(column, justify="right" if column in ("score", "value", "expected") else "left")
    for d in result.detections:
        table.add_row(d.timestamp, f"{d.score:.3f}", d.kind, f"{d.observed:g}", f"{d.expected:.4g}")
    console.print(table)
