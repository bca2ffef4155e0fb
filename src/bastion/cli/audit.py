"""`bastion audit`: check the audit log's hash chain."""

from __future__ import annotations

import typer

from bastion import audit_log
from bastion.cli.console import console, open_database

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify() -> None:
    """Walk the whole hash chain; exit non-zero naming the first bad row."""
    database = open_database()
    with database.transaction() as session:
        report = audit_log.verify(session)
    console.print(f"[green]audit log intact[/]: {report.rows:,} rows, last row {report.last_seq}")
