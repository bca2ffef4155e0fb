"""`bastion queues`: the review configuration (queues, routing, strikes), versioned on every load."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.review.config import parse_review_config
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.queues import queue_listing

queues_app = typer.Typer(help="Review queues, routing rules and strikes.", no_args_is_help=True)


@queues_app.command("load")
def queues_load(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Load a review configuration; errors name the line and field. Loading the same file twice does nothing."""
    config = parse_review_config(file.read_text(encoding="utf-8"), file.name)
    now = system_clock()
    with open_database().transaction() as session:
        loaded = load_review_config(session, config, source=file.name, principal=SYSTEM.name, now=now)
    if loaded is None:
        console.print("unchanged: the store already has this configuration")
    else:
        console.print(
            f"loaded review configuration version {loaded.version}: {len(config.queues)} queues, "
            f"{len(config.routing)} routing rules"
        )


@queues_app.command("list")
def queues_list() -> None:
    """Every queue with what it holds now."""
    now = system_clock()
    with open_database().transaction() as session:
        version = current_review_config(session).version
        rows = queue_listing(session, SYSTEM, now=now, everything=True)
    table = Table(title=f"review configuration v{version}")
    table.add_column("queue", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for name in ("SLA h", "open", "claimed", "held", "oldest h"):
        table.add_column(name, justify="right")
    table.add_column("vendors")
    for row in rows:
        table.add_row(
            escape(row["name"]),
            row["kind"],
            f"{row['sla_hours']:g}",
            f"{row['open']:,}",
            f"{row['claimed']:,}",
            f"{row['held']:,}",
            "" if row["oldest_age_hours"] is None else f"{row['oldest_age_hours']:.1f}",
            ", ".join(row["vendors"]),
        )
    console.print(table)
