"""`bastion export`: the store's analytic tables as Parquet (partitioned by date) or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.metrics import parse_until
from bastion.cli.quality import parse_since
from bastion.clock import system_clock

if TYPE_CHECKING:
    from bastion.insight.export import ExportFormat, ExportSummary

export_app = typer.Typer(help="Export the store for spreadsheets, Tableau or Spark.", no_args_is_help=True)

_OUT = typer.Option(..., "--out", metavar="DIR", help="The folder to write (an earlier export there is replaced).")
_SINCE = typer.Option(None, "--since", metavar="DATE", help="Rows from this date (YYYY-MM-DD, UTC) or ISO time.")
_UNTIL = typer.Option(None, "--until", metavar="DATE", help="Rows before this date or ISO time.")


def _export(fmt: ExportFormat, out: Path, since: str | None, until: str | None) -> None:
    from bastion.insight.export import export_store  # Ibis and Arrow: loaded when asked for

    summary = export_store(
        open_database(),
        out,
        fmt=fmt,
        now=system_clock(),
        principal=SYSTEM.name,
        since=None if since is None else parse_since(since),
        until=None if until is None else parse_until(until),
    )
    _say(summary)


@export_app.command("parquet")
def parquet(out: Path = _OUT, since: str | None = _SINCE, until: str | None = _UNTIL) -> None:
    """One folder per table, partitioned by date hive-style (DuckDB, Spark and Trino read it as it is)."""
    _export("parquet", out, since, until)


@export_app.command("csv")
def csv(out: Path = _OUT, since: str | None = _SINCE, until: str | None = _UNTIL) -> None:
    """One CSV file per table, with a header; text a spreadsheet would run as a formula is quoted."""
    _export("csv", out, since, until)


def _say(summary: ExportSummary) -> None:
    total = sum(summary.rows.values())
    console.print(
        Text(f"exported {total:,} rows of {len(summary.rows)} tables as {summary.format} to {summary.folder}")
    )
    for name, rows in summary.rows.items():
        console.print(Text(f"  {name}: {rows:,}"))
