"""`bastion prevalence`: start a round, follow its labelling, print its estimate."""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from typing import Any

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.errors import FieldError, InvalidInput
from bastion.insight.prevalence.design import Allocation
from bastion.insight.prevalence.report import RoundEstimate, round_estimate
from bastion.insight.prevalence.rounds import (
    DEFAULT_QUEUE,
    RoundView,
    list_rounds,
    period_of,
    round_status,
    start_round,
)

prevalence_app = typer.Typer(
    help="Prevalence: sample a period's views by classifier score, label them, estimate per policy.",
    no_args_is_help=True,
)
ROUND = typer.Argument(..., metavar="ROUND", help="The round's name (see `list`).", show_default=False)


class EstimateFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"bad {option}", [FieldError(option, f"{text!r} is not a date (YYYY-MM-DD)")]) from None


@prevalence_app.command("start")
def start(
    period_start: str = typer.Option(
        ..., "--period-start", metavar="DATE", help="First day of views (YYYY-MM-DD, UTC)."
    ),
    period_end: str = typer.Option(..., "--period-end", metavar="DATE", help="Last day of views, included."),
    size: int = typer.Option(..., "--size", metavar="N", help="Views to draw (an item drawn twice is labelled once)."),
    policy: str | None = typer.Option(
        None, "--policy", metavar="POLICY", help="Stratify by this policy's models and estimate it and those below it."
    ),
    allocation: Allocation = typer.Option(
        Allocation.NEYMAN, "--allocation", metavar="[neyman|proportional]", help="How the strata share the draws."
    ),
    queue: str = typer.Option(DEFAULT_QUEUE, "--queue", metavar="QUEUE", help="The labelling queue (kind prevalence)."),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed of the draw, to draw it again."),
) -> None:
    """Draw the round's sample and open its labelling jobs. Recorded in the audit log."""
    first, last = _day(period_start, "--period-start"), _day(period_end, "--period-end")
    begin, end = period_of(first, last)
    with open_database().transaction() as session:
        view = start_round(
            session,
            period_start=begin,
            period_end=end,
            size=size,
            policy=policy,
            allocation=allocation,
            queue=queue,
            seed=secrets.randbits(32) if seed is None else seed,
            principal=SYSTEM.name,
            now=system_clock(),
        )
    console.print(
        f"round {escape(view.name)}: {view.size} views drawn, "
        f"{view.items} items to label in the {escape(view.queue)} queue",
        soft_wrap=True,
    )
    _print_strata(view)


COLUMNS = (
    Column("name"),
    Column("period_start"),
    Column("period_end"),
    Column("policy"),
    Column("size", numeric=True),
    Column("items", numeric=True),
    Column("labelled", numeric=True),
    Column("status"),
    Column("created_at"),
)


@prevalence_app.command("list")
def list_command(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every round, newest first, with its labelling progress."""
    with open_database().transaction() as session:
        rounds = list_rounds(session)
    rows = [
        (r.name, r.period_start, r.period_end, r.policy or "all", r.size, r.items, r.labelled, r.status, r.created_at)
        for r in rounds
    ]
    print_listing(COLUMNS, rows, output, empty="no prevalence rounds")


@prevalence_app.command("status")
def status(name: str = ROUND) -> None:
    """A round's design and labelling progress."""
    with open_database().transaction() as session:
        view = round_status(session, name)
    console.print(
        f"round {escape(view.name)} · {view.status} · {view.labelled} of {view.items} items labelled · "
        f"views {view.period_start:%Y-%m-%d} to {view.period_end:%Y-%m-%d} (excluded) · "
        f"policy {escape(view.policy or 'all')} · {view.allocation} allocation",
        soft_wrap=True,
    )
    _print_strata(view)


@prevalence_app.command("estimate")
def estimate(
    name: str = ROUND,
    output: EstimateFormat = typer.Option(
        EstimateFormat.TABLE, "--format", metavar="[table|json]", help="table for people, json for scripts."
    ),
) -> None:
    """Prevalence per policy with its 95 % interval, or its upper limit when too few violations were found."""
    with open_database().transaction() as session:
        result = round_estimate(session, name)
    if output is EstimateFormat.JSON:
        sys.stdout.write(json.dumps(estimate_document(result), indent=2, ensure_ascii=False) + "\n")
        return
    console.print(
        f"round {escape(result.name)}: {result.draws} views drawn, {result.items} items labelled", soft_wrap=True
    )
    columns = (Column("policy"), Column("prevalence"), Column("violating", numeric=True), Column("draws", numeric=True))
    rows = [(p.policy, p.shown, p.estimate.violating, p.estimate.draws) for p in result.policies]
    print_listing(columns, rows, OutputFormat.TABLE)


def estimate_document(result: RoundEstimate) -> dict[str, Any]:
    """The estimate as JSON: per policy its prevalence, interval, and whether it is an upper limit."""
    return {
        "round": result.name,
        "period_start": result.period_start.isoformat(),
        "period_end": result.period_end.isoformat(),
        "draws": result.draws,
        "items": result.items,
        "policies": [
            {"policy": p.policy, "title": p.title, "shown": p.shown}
            | {k: (v.value if k == "method" else v) for k, v in asdict(p.estimate).items()}
            for p in result.policies
        ],
    }


def _print_strata(view: RoundView) -> None:
    columns = (
        Column("stratum"),
        Column("views", numeric=True),
        Column("impressions", numeric=True),
        Column("mean_score"),
        Column("draws", numeric=True),
    )
    rows = [
        (
            str(s["name"]),
            int(str(s["views"])),
            int(str(s["impressions"])),
            "—" if s["mean_score"] is None else f"{float(str(s['mean_score'])):.3f}",
            int(str(s["sample"])),
        )
        for s in view.strata
    ]
    print_listing(columns, rows, OutputFormat.TABLE)
