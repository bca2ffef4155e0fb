"""`bastion metrics`: named metrics of the store, by segment and time grain, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bastion.cli.console import console, open_database
from bastion.cli.quality import parse_since
from bastion.errors import FieldError, InvalidInput

if TYPE_CHECKING:
    from bastion.insight.metrics.report import MetricsTable


class MetricsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def parse_until(text: str) -> datetime:
    try:
        return parse_since(text)
    except InvalidInput:
        raise InvalidInput(
            "bad --until", [FieldError("--until", f"{text!r} is not a date (YYYY-MM-DD) or an ISO time")]
        ) from None


def metrics(
    names: list[str] = typer.Argument(
        None, metavar="[NAMES]...", help="Metric names (default: the enforcement report)."
    ),
    by: list[str] = typer.Option(
        [], "--by", metavar="DIM", help="Split by policy, country, language, surface, queue or vendor (repeat)."
    ),
    grain: str | None = typer.Option(None, "--grain", metavar="GRAIN", help="hour, day, week or month."),
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="From this date (YYYY-MM-DD, UTC) or ISO time."
    ),
    until: str | None = typer.Option(None, "--until", metavar="DATE", help="Before this date or ISO time."),
    output_format: MetricsFormat = typer.Option(
        MetricsFormat.TABLE, "--format", metavar="[table|json|csv]", help="table for people, json or csv."
    ),
) -> None:
    """Compute metrics on the store (DuckDB over SQLite, or PostgreSQL); definitions in docs/insight.md."""
    from bastion.insight.metrics.report import metrics_table  # pandas and Ibis: loaded when asked for

    found = metrics_table(
        open_database(),
        [n for name in names or [] for n in name.split(",") if n],
        [d for dim in by for d in dim.split(",") if d],
        grain,
        None if since is None else parse_since(since),
        None if until is None else parse_until(until),
    )
    if output_format is MetricsFormat.JSON:
        sys.stdout.write(json.dumps(_as_json(found), indent=2, ensure_ascii=False) + "\n")
    elif output_format is MetricsFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(found.columns)
        writer.writerows(["" if row[c] is None else row[c] for c in found.columns] for row in found.rows)
    else:
        _print_table(found)


def _as_json(found: MetricsTable) -> dict[str, object]:
    return {
        "metrics": [m.__dict__ for m in found.metrics],
        "by": found.by,
        "grain": found.grain,
        "since": found.since.isoformat() if found.since else None,
        "until": found.until.isoformat() if found.until else None,
        "columns": found.columns,
        "rows": found.rows,
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_table(found: MetricsTable) -> None:
    table = Table(show_edge=False, header_style="bold")
    for column in found.columns:
        table.add_column(column, justify="left" if column in ("period", *found.by) else "right", overflow="fold")
    for row in found.rows:
        table.add_row(*(_cell(row[c]) for c in found.columns))
    console.print(table)
    if not found.rows:
        console.print("no rows: nothing to count in this window")
