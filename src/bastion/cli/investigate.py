"""`bastion investigate`: the coordinated networks among the actors, and bulk actions on one (preview, confirm,
reverse). Commands act as `system:bastion` (an admin); the services record the audit rows."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Column, OutputFormat, print_listing
from bastion.cli.quality import parse_since
from bastion.clock import system_clock
from bastion.config import settings
from bastion.domain.investigate import BulkActionKind

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


ACTIONS = choices(BulkActionKind)
SHOWN_ITEMS = 20


@investigate_app.command("act")
def act_command(
    network_id: str = typer.Argument(
        ..., metavar="NETWORK", help="A network's id from 'bastion investigate networks'."
    ),
    action: BulkActionKind = typer.Option(
        ..., "--action", metavar=ACTIONS, help="suspend or ban the members' accounts, or remove their clustered posts."
    ),
    confirm: str | None = typer.Option(
        None, "--confirm", metavar="TOKEN", help="The token a preview printed: take the action it previewed."
    ),
    case: int | None = typer.Option(None, "--case", min=1, metavar="CASE", help="The case the action is part of."),
) -> None:
    """Act on a whole network: without --confirm, print what would be done and a token; with it, do it."""
    from bastion.investigate import bulk_actions

    cap = settings().bulk_action_cap
    now = system_clock()
    with open_database().transaction() as session:
        if confirm is None:
            plan = bulk_actions.preview(session, SYSTEM, network_id, action, now=now, cap=cap, case_pk=case)
        else:
            bulk = bulk_actions.execute(session, SYSTEM, network_id, action, confirm, now=now, cap=cap, case_pk=case)
            bulk_pk, changed, skipped = bulk.pk, len(bulk.changed), bulk.skipped
    if confirm is not None:
        console.print(
            f"bulk action {bulk_pk}: {action.value} on {changed} {action.items} of {network_id} "
            f"({skipped} already done, skipped); reverse it with 'bastion investigate reverse {bulk_pk}'",
            markup=False,
            soft_wrap=True,
        )
        return
    lines = [
        f"{action.value} on network {network_id} ({plan.members} members): {len(plan.to_change)} {action.items} "
        f"to change, {len(plan.skipped)} already done (skipped); cap {plan.cap}"
    ]
    lines += [f"  {action.value:8} {i.ref}" for i in plan.to_change[:SHOWN_ITEMS]]
    if len(plan.to_change) > SHOWN_ITEMS:
        lines.append(f"  … and {len(plan.to_change) - SHOWN_ITEMS} more")
    lines += [f"  skip     {i.ref} (already done)" for i in plan.skipped[:SHOWN_ITEMS]]
    case_flag = f" --case {plan.case_pk}" if plan.case_pk else ""
    lines.append(
        f"to do it before {plan.expires_at.isoformat()}: bastion investigate act {network_id} --action {action.value}"
        f"{case_flag} --confirm {plan.token}"
    )
    console.print("\n".join(lines), markup=False, soft_wrap=True)


@investigate_app.command("reverse")
def reverse_command(
    bulk_pk: int = typer.Argument(..., metavar="BULK_ID", min=1, help="The bulk action's number."),
    note: str = typer.Option("", "--note", metavar="TEXT", help="Why it is reversed."),
) -> None:
    """Reverse a bulk action: restore every item it changed (once)."""
    from bastion.investigate import bulk_actions

    with open_database().transaction() as session:
        bulk = bulk_actions.reverse_bulk_action(session, SYSTEM, bulk_pk, now=system_clock(), note=note[:500])
        changed, network = len(bulk.changed), bulk.network_id
    console.print(f"bulk action {bulk_pk} on {network} reversed: {changed} items restored", markup=False)
