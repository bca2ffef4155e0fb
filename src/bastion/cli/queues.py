"""`bastion queues`: the review configuration (queues, routing, strikes), versioned on every load."""

from __future__ import annotations

from pathlib import Path

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.review.config import parse_review_config
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.queues import queue_listing

queues_app = typer.Typer(help="Review queues, routing rules and strikes.", no_args_is_help=True)


@queues_app.command("load")
def queues_load(
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="A review configuration (YAML)."
    ),
) -> None:
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


QUEUE_COLUMNS = (
    Column("queue"),
    Column("kind"),
    Column("sla_hours", numeric=True),
    Column("open", numeric=True),
    Column("claimed", numeric=True),
    Column("held", numeric=True),
    Column("oldest_age_hours", numeric=True),
    Column("vendors"),
)


@queues_app.command("list")
def queues_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every queue with what it holds now."""
    now = system_clock()
    with open_database().transaction() as session:
        version = current_review_config(session).version
        listing = queue_listing(session, SYSTEM, now=now, everything=True)
    rows = [
        (
            row["name"],
            row["kind"],
            row["sla_hours"],
            row["open"],
            row["claimed"],
            row["held"],
            row["oldest_age_hours"],
            row["vendors"],
        )
        for row in listing
    ]
    print_listing(QUEUE_COLUMNS, rows, output, title=f"review configuration v{version}")
