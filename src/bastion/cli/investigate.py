"""`bastion investigate`: investigations; for now, the coordinated networks among the actors."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import open_database
from bastion.cli.listing import Column, OutputFormat, print_listing
from bastion.cli.quality import parse_since

investigate_app = typer.Typer(help="Investigations: coordinated networks of accounts.", no_args_is_help=True)


class NetworksFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


NETWORK_COLUMNS = (
    Column("network"),
    Column("members", numeric=True),
    Column("score", numeric=True),
    Column("kinds"),
    Column("bursts", numeric=True),
    Column("created"),
    Column("first_members"),
)
SHOWN_MEMBERS = 5


@investigate_app.command("networks")
def networks(
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Only posts from this date (YYYY-MM-DD, UTC) or ISO time on."
    ),
    min_score: float = typer.Option(
        6.0, "--min-score", min=0.0, metavar="S", help="Only networks scoring S or more (see docs/investigations.md)."
    ),
    output: NetworksFormat = typer.Option(
        NetworksFormat.TABLE, "--format", metavar="[table|json]", help="table for people, json for scripts."
    ),
) -> None:
    """Clusters of accounts tied by shared devices, IPs, links and near-duplicate bursts, the most unusual
    first."""
    from bastion.investigate.network_service import find_networks, report_json
    from bastion.investigate.networks import DetectionSettings

    start = None if since is None else parse_since(since)
    settings = DetectionSettings(min_score=min_score)
    with open_database().transaction() as session:
        report = find_networks(session, SYSTEM, since=start, settings=settings)
    if output is NetworksFormat.JSON:
        sys.stdout.write(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n")
        return
    rows = [
        (
            n.id,
            len(n.members),
            n.score,
            ", ".join(k for k, v in n.evidence.surprise.items() if v > 0),
            n.evidence.burst_count,
            n.evidence.created_first,
            ", ".join(n.members[:SHOWN_MEMBERS]) + (", …" if len(n.members) > SHOWN_MEMBERS else ""),
        )
        for n in report.networks
    ]
    title = f"{len(report.networks)} networks among {report.actors:,} actors ({report.posts:,} clustered posts)"
    print_listing(NETWORK_COLUMNS, rows, OutputFormat.TABLE, title=title, empty=f"no networks: {title}")
