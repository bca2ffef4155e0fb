"""How the list commands print: a table for people, JSON or CSV for scripts.

A table printed to a pipe or a file is as wide as its widest row: rich would otherwise fit it into 80
columns and cut ids short with "…", which breaks `bastion user list | grep …`. Cells never
interpret rich markup: names and titles are shown as they are stored.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bastion.cli.console import console

Cell = str | int | float | bool | datetime | Sequence[str] | None


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# The `--format` option every list command takes, with `= OutputFormat.TABLE`.
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        metavar="[table|json|csv]",
        help="table (the default) for people; json or csv for scripts.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Column:
    """One field of a listing: its key in JSON and CSV; its header in the table."""

    key: str
    numeric: bool = False

    @property
    def header(self) -> str:
        return self.key.replace("_", " ")


def print_listing(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    output: OutputFormat,
    *,
    title: str | None = None,
    empty: str | None = None,
) -> None:
    """Print rows in the chosen format; `empty` is what a table says when there is nothing to list."""
    materialised = [list(row) for row in rows]
    if output is OutputFormat.JSON:
        records = [{c.key: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in materialised]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    elif output is OutputFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        writer.writerows([[_csv_value(v) for v in row] for row in materialised])
    elif not materialised and empty is not None:
        console.print(empty, markup=False)
    else:
        table = Table(title=title)
        for column in columns:
            table.add_column(column.header, justify="right" if column.numeric else "left", overflow="fold")
        for row in materialised:
            table.add_row(*(Text(_table_value(v)) for v in row))
        _print_uncut(table)


def _print_uncut(table: Table) -> None:
    if console.is_terminal:
        console.print(table)
        return
    wide = Console(file=console.file, width=100_000, highlight=False, color_system=None)
    width = wide.measure(table).maximum
    Console(file=console.file, width=width, highlight=False, color_system=None).print(table)


def _table_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int):
        return str(value)
    return ", ".join(value)


def _json_value(value: Cell) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return list(value)


# A spreadsheet runs a cell that starts with one of these as a formula; text from the platform (a user
# name, a bank's term, a label) could then run in an analyst's sheet. Such text gets a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = value if isinstance(value, str) else ",".join(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
