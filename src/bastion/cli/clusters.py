"""`bastion clusters`: near-duplicate clusters of text, their members, their sizes recounted, and how well
they find a simulation's planted networks."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.errors import InvalidInput
from bastion.match.clusters import (
    MAX_PAGE,
    ClusterOrder,
    cluster_detail,
    evaluate_against_truth,
    list_clusters,
    recount_clusters,
)

ORDERS = choices(ClusterOrder)
clusters_app = typer.Typer(help="Near-duplicate clusters of text.", no_args_is_help=True)

CLUSTER_COLUMNS = (
    Column("cluster", numeric=True),
    Column("size", numeric=True),
    Column("growth_1h", numeric=True),
    Column("growth_24h", numeric=True),
    Column("peak_1h", numeric=True),
    Column("first_seen"),
    Column("last_seen"),
    Column("representative"),
    Column("text"),
)


@clusters_app.command("list")
def clusters_list(
    order: ClusterOrder = typer.Option(
        ClusterOrder.SIZE,
        "--order",
        metavar=ORDERS,
        help="size, growth (last hour), burst (busiest hour ever) or recent.",
    ),
    min_size: int = typer.Option(2, "--min-size", min=2, metavar="N", help="Only clusters of at least N items."),
    limit: int = typer.Option(50, "--limit", min=1, max=MAX_PAGE, metavar="N", help="At most N clusters."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The clusters of two or more items, the largest (or fastest-growing, or newest) first."""
    with open_database().transaction() as session:
        found = list_clusters(session, now=system_clock(), order=order, min_size=min_size, limit=limit)
    rows = [
        (
            c.id,
            c.size,
            c.growth_1h,
            c.growth_24h,
            c.peak_1h,
            c.first_seen,
            c.last_seen,
            c.representative_id,
            c.representative_text,
        )
        for c in found.clusters
    ]
    print_listing(CLUSTER_COLUMNS, rows, output, empty="no clusters yet: near-duplicates form them as detection runs")


MEMBER_COLUMNS = (
    Column("content"),
    Column("actor"),
    Column("posted_at"),
    Column("similarity", numeric=True),
    Column("open_job", numeric=True),
    Column("decided"),
    Column("text"),
)


@clusters_app.command("show")
def clusters_show(
    cluster: int = typer.Argument(..., metavar="CLUSTER", help="The cluster's id (its first item's content key)."),
    sample: int = typer.Option(20, "--sample", min=1, max=MAX_PAGE, metavar="N", help="Show the N newest members."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """A cluster's newest members, and review's progress on it."""
    with open_database().transaction() as session:
        detail = cluster_detail(session, cluster, now=system_clock(), sample=sample)
    summary = detail.cluster
    title = escape(
        f"cluster {summary.id}: {summary.size:,} items, {summary.growth_1h} in the last hour; "
        f"{detail.members_with_open_jobs} with an open job, {detail.members_decided} decided"
    )
    rows = [(m.content_id, m.actor_id, m.posted_at, m.similarity, m.open_job, m.decided, m.text) for m in detail.sample]
    print_listing(MEMBER_COLUMNS, rows, output, title=title)


@clusters_app.command("recount")
def clusters_recount() -> None:
    """Recompute every cluster's size and newest posting from its members."""
    with open_database().transaction() as session:
        changed = recount_clusters(session)
    console.print(f"recounted the clusters: {changed:,} changed")


@clusters_app.command("evaluate")
def clusters_evaluate(
    truth: Path = typer.Option(
        ..., "--truth", metavar="FILE", exists=True, dir_okay=False, readable=True, help="A simulation's truth file."
    ),
) -> None:
    """Purity and recall of the clusters against a simulation's planted networks."""
    try:
        planted = json.loads(truth.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{truth.name} is not a JSON truth file ({error})") from None
    if not isinstance(planted, dict):
        raise InvalidInput(f"{truth.name} is not a simulator truth file: it holds no JSON object")
    with open_database().transaction() as session:
        check = evaluate_against_truth(session, planted)
    rows = [(n.network, n.posts, n.found, n.clusters, round(n.recall, 3)) for n in check.networks]
    columns = (
        Column("network"),
        Column("posts", numeric=True),
        Column("grouped", numeric=True),
        Column("clusters", numeric=True),
        Column("recall", numeric=True),
    )
    print_listing(columns, rows, OutputFormat.TABLE, empty="the truth file plants no networks")
    console.print(
        f"purity {check.purity:.3f} ({check.main_network_members:,} of {check.members_of_those_clusters:,} members "
        f"of the {check.clusters_with_network_posts} clusters holding network posts are their main network's); "
        f"recall {check.recall:.3f}",
        markup=False,
    )
