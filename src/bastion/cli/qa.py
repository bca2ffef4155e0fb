"""`bastion quality plans`: QA sampling plans per queue: list, show, set, preview; and catch-up, which
samples again the decisions a missed hook (a crash after a commit) left out."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.durations import parse_duration
from bastion.errors import NotFound
from bastion.quality.qa import (
    MAX_PREVIEW_DAYS,
    PlanView,
    catch_up,
    get_plan,
    list_plans,
    preview_plan,
    read_plan_text,
    set_plan,
)

plans_app = typer.Typer(
    help="QA sampling plans: which decisions of a queue are re-reviewed blind.", no_args_is_help=True
)

QUEUE = typer.Argument(..., metavar="QUEUE", help="The queue whose decisions the plan samples.")
PLAN_FILE = typer.Option(
    None,
    "--file",
    metavar="FILE",
    exists=True,
    dir_okay=False,
    readable=True,
    help="The plan in YAML or JSON: rate, qa_queue, strata, targets, active (see docs/quality.md).",
)
RATE = typer.Option(None, "--rate", metavar="RATE", help="The base random rate, 0 to 1 (overrides the file's).")
QA_QUEUE = typer.Option(None, "--qa-queue", metavar="QUEUE", help="The QA queue (default: qa).")


def _document(
    queue: str, file: Path | None, rate: float | None, qa_queue: str | None, base: dict[str, Any]
) -> dict[str, Any]:
    """The plan written: the plan in force (`base`), then the file, then the options."""
    document = dict(base)
    if file is not None:
        document |= read_plan_text(file.read_text(encoding="utf-8"), file.name)
    if rate is not None:
        document["rate"] = rate
    if qa_queue is not None:
        document["qa_queue"] = qa_queue
    document.setdefault("qa_queue", "qa")
    return document | {"queue": queue}


def _in_force(view: PlanView | None) -> dict[str, Any]:
    if view is None:
        return {}
    return {"qa_queue": view.qa_queue, "rate": view.rate, "strata": view.strata, "targets": view.targets}


PLAN_COLUMNS = (
    Column("queue"),
    Column("version", numeric=True),
    Column("qa_queue"),
    Column("rate", numeric=True),
    Column("strata"),
    Column("targets"),
    Column("active"),
    Column("samples", numeric=True),
    Column("open_qa_jobs", numeric=True),
    Column("created_at"),
    Column("created_by"),
)


@plans_app.command("list")
def plans_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every queue's plan in force."""
    with open_database().transaction() as session:
        views = list_plans(session)
    rows = [
        (
            v.queue,
            v.version,
            v.qa_queue,
            v.rate,
            json.dumps(v.strata, sort_keys=True),
            json.dumps(v.targets, sort_keys=True),
            "yes" if v.active else "no",
            v.samples,
            v.open_qa_jobs,
            v.created_at,
            v.created_by,
        )
        for v in views
    ]
    print_listing(PLAN_COLUMNS, rows, output, empty="no QA plans")


@plans_app.command("show")
def plans_show(queue: str = QUEUE) -> None:
    """A queue's plan in force, as JSON (the form `set --file` takes)."""
    with open_database().transaction() as session:
        view = get_plan(session, queue)
    console.print_json(json.dumps(asdict(view), default=str, ensure_ascii=False))


@plans_app.command("set")
def plans_set(
    queue: str = QUEUE, file: Path | None = PLAN_FILE, rate: float | None = RATE, qa_queue: str | None = QA_QUEUE
) -> None:
    """Put a queue's plan in force: a new version (the same plan again changes nothing). Fields the file
    and options leave out keep their value in force. Recorded in the audit log."""
    now = system_clock()
    with open_database().transaction() as session:
        current = _current(session, queue)
        view = set_plan(session, _document(queue, file, rate, qa_queue, current), principal=SYSTEM.name, now=now)
    console.print(
        f"QA plan for {escape(queue)}: version {view.version}, rate {view.rate:g}, to {escape(view.qa_queue)}"
        + ("" if view.active else " (inactive)")
    )


def _current(session: Session, queue: str) -> dict[str, Any]:
    try:
        return _in_force(get_plan(session, queue))
    except NotFound:
        return {}


PREVIEW_COLUMNS = (
    Column("day"),
    Column("decisions", numeric=True),
    Column("sampled", numeric=True),
    Column("by_reason"),
)


@plans_app.command("preview")
def plans_preview(
    queue: str = QUEUE,
    file: Path | None = PLAN_FILE,
    rate: float | None = RATE,
    qa_queue: str | None = QA_QUEUE,
    days: int = typer.Option(14, "--days", metavar="N", min=1, max=MAX_PREVIEW_DAYS, help="The last N days."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """How many items per day a plan (the one in force, changed by --file and the options) would pull
    from the queue's decisions of the last N days, by reason. Changes nothing."""
    with open_database().transaction() as session:
        document = _document(queue, file, rate, qa_queue, _current(session, queue))
        result = preview_plan(session, document, days=days, now=system_clock())
    rows = [(d.day.isoformat(), d.decisions, d.sampled, json.dumps(d.by_reason, sort_keys=True)) for d in result.days]
    print_listing(PREVIEW_COLUMNS, rows, output, title=f"{queue}: {result.per_day:g} items per day")
    if output == OutputFormat.TABLE:
        reasons = ", ".join(f"{reason} {n}" for reason, n in result.by_reason.items() if n) or "none"
        console.print(f"{result.sampled} of {result.decisions} decisions sampled; by reason: {reasons}")


@plans_app.command("catch-up")
def plans_catch_up(
    since: str = typer.Option("2d", "--since", metavar="DURATION", help="Decisions of the last 30m, 12h, 7d…"),
) -> None:
    """Sample again the decisions of a recent window under the plans in force: what a missed hook left out
    is sampled now; what was sampled already stays as it was (sampling is deterministic)."""
    now = system_clock()
    window = parse_duration(since, field="--since")
    with open_database().transaction() as session:
        sampled = catch_up(session, since=now - window, now=now)
    console.print(f"{sampled} decisions newly sampled")
