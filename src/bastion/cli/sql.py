"""`bastion sql "SELECT ..."`: the SQL console on the command line, over the same views, with the same
refusals, caps and audit record as the page and `POST /api/v1/sql`."""

from __future__ import annotations

import json
import sys

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.insight.sql.console import result_csv, run_query
from bastion.insight.sql.engine import ROW_LIMIT
from bastion.insight.sql.quick_chart import is_numeric


def sql_command(
    sql: str = typer.Argument(..., metavar="SQL", help="One SELECT over the documented views; - reads it from stdin."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Run one read-only query over the store's documented views (see docs/insight.md, SQL console)."""
    text = sys.stdin.read() if sql == "-" else sql
    result = run_query(open_database(), text, principal=SYSTEM.name, now=system_clock())
    if output is OutputFormat.JSON:
        body = {
            "columns": [{"name": c.name, "type": c.type} for c in result.columns],
            "rows": [list(row) for row in result.rows],
            "truncated": result.truncated,
            "elapsed_ms": result.elapsed_ms,
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False, allow_nan=False) + "\n")
    elif output is OutputFormat.CSV:
        sys.stdout.write(result_csv(result))
    else:
        columns = [Column(c.name, numeric=is_numeric(c.type)) for c in result.columns]
        rows = [[_shown(v) for v in row] for row in result.rows]
        print_listing(columns, rows, output, empty="No rows: the query ran and matched nothing.")
    if result.truncated:
        typer.echo(f"cut at {ROW_LIMIT:,} rows: more matched (narrow the query)", err=True)


def _shown(value: object) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
