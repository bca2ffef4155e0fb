"""`bastion quality golden`: golden sets: add, import, promote, list, serve, retire."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.errors import InvalidInput
from bastion.quality.golden import (
    MAX_PER_DAY,
    GoldenEntry,
    add_items,
    golden_set,
    golden_sets,
    promote,
    read_items_file,
    retire,
)
from bastion.quality.golden_serving import serve_golden_jobs

golden_app = typer.Typer(
    help="Golden sets: items with a known answer, served inside normal queues and scored, never enforced.",
    no_args_is_help=True,
)

SET = typer.Argument(..., metavar="SET", help="The golden set's name (created if new).", show_default=False)
SHARE = typer.Option(
    None, "--share", metavar="SHARE", min=0.0, max=1.0, help="Golden jobs per real job opened in the queue, 0 to 1."
)
PER_DAY = typer.Option(
    None, "--per-day", metavar="N", min=0, max=MAX_PER_DAY, help="Golden jobs a day in each queue, on top of the share."
)
MAX_FILE = 50 * 1024 * 1024


@golden_app.command("add")
def add(
    golden_set_name: str = SET,
    content_id: str = typer.Option(..., "--content", metavar="ID", help="The content item's id on the platform."),
    answer: str = typer.Option(..., "--answer", metavar="POLICY", help='The right decision: a policy id or "none".'),
    rationale: str = typer.Option(..., "--rationale", metavar="TEXT", help="Why it is the right answer."),
    queue: str = typer.Option(..., "--queue", metavar="QUEUE", help="The queue its golden jobs are served in."),
    share: float | None = SHARE,
    per_day: int | None = PER_DAY,
) -> None:
    """Add one item with its answer. Recorded in the audit log."""
    with open_database().transaction() as session:
        entry = GoldenEntry(content_id, answer, rationale, queue)
        add_items(
            session, golden_set_name, [entry], share=share, per_day=per_day, now=system_clock(), principal=SYSTEM.name
        )
    console.print(f"{escape(content_id)} added to golden set {escape(golden_set_name)}", soft_wrap=True)


@golden_app.command("import")
def import_file(
    golden_set_name: str = SET,
    file: Path = typer.Argument(
        ..., metavar="FILE", help="JSONL, CSV or Parquet rows: content_id, answer, rationale, queue."
    ),
    queue: str | None = typer.Option(None, "--queue", metavar="QUEUE", help="The queue of rows that name none."),
    share: float | None = SHARE,
    per_day: int | None = PER_DAY,
) -> None:
    """Add the items of a file; one bad row (reported with its line number) and nothing is added."""
    if not file.is_file():
        raise InvalidInput(f"no file {file}")
    if file.stat().st_size > MAX_FILE:
        raise InvalidInput(f"{file.name} is larger than {MAX_FILE // (1024 * 1024)} MB")
    entries = read_items_file(file, queue=queue)
    with open_database().transaction() as session:
        added = add_items(
            session, golden_set_name, entries, share=share, per_day=per_day, now=system_clock(), principal=SYSTEM.name
        )
    console.print(f"{len(added):,} items added to golden set {escape(golden_set_name)}", soft_wrap=True)


@golden_app.command("promote")
def promote_command(
    golden_set_name: str = SET,
    decision: int = typer.Argument(..., metavar="DECISION", min=1, help="A final decision QA or an appeal confirmed."),
    rationale: str = typer.Option("", "--rationale", metavar="TEXT", help="Why; by default the decision's own."),
) -> None:
    """Make a golden item of a decision a QA re-review or an upheld appeal confirmed."""
    with open_database().transaction() as session:
        promote(session, golden_set_name, decision, rationale=rationale, now=system_clock(), principal=SYSTEM.name)
    console.print(f"decision {decision} promoted to golden set {escape(golden_set_name)}", soft_wrap=True)


@golden_app.command("retire")
def retire_command(
    golden_set_name: str = SET,
    content_id: str = typer.Argument(..., metavar="CONTENT", help="The item's content id."),
) -> None:
    """Stop serving an item; its past golden decisions keep their score. Recorded in the audit log."""
    with open_database().transaction() as session:
        retire(session, golden_set_name, content_id, now=system_clock(), principal=SYSTEM.name)
    console.print(f"{escape(content_id)} retired from golden set {escape(golden_set_name)}", soft_wrap=True)


SET_COLUMNS = (
    Column("golden_set"),
    Column("share", numeric=True),
    Column("per_day", numeric=True),
    Column("items", numeric=True),
    Column("retired", numeric=True),
    Column("served", numeric=True),
    Column("open", numeric=True),
    Column("decided", numeric=True),
    Column("correct", numeric=True),
    Column("accuracy", numeric=True),
    Column("accuracy_low", numeric=True),
    Column("accuracy_high", numeric=True),
)
REVIEWER_COLUMNS = (
    Column("reviewer"),
    Column("decided", numeric=True),
    Column("correct", numeric=True),
    Column("accuracy", numeric=True),
    Column("accuracy_low", numeric=True),
    Column("accuracy_high", numeric=True),
)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@golden_app.command("list")
def list_command(
    golden_set_name: str | None = typer.Argument(None, metavar="[SET]", help="One set: its reviewers' scores."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Golden sets with their golden decisions and accuracy (Wilson 95% interval); with SET, per reviewer."""
    with open_database().transaction() as session:
        if golden_set_name is None:
            sets = golden_sets(session)
            rows = [
                (
                    s.name,
                    s.share,
                    s.per_day,
                    s.items,
                    s.retired,
                    s.served,
                    s.open,
                    s.score.decided,
                    s.score.correct,
                    _rounded(s.score.accuracy),
                    _rounded(s.score.accuracy_low),
                    _rounded(s.score.accuracy_high),
                )
                for s in sets
            ]
            print_listing(SET_COLUMNS, rows, output, empty="no golden sets")
            return
        detail = golden_set(session, golden_set_name)
    reviewer_rows = [
        (r.reviewer, r.decided, r.correct, _rounded(r.accuracy), _rounded(r.accuracy_low), _rounded(r.accuracy_high))
        for r in detail.reviewers
    ]
    print_listing(
        REVIEWER_COLUMNS,
        reviewer_rows,
        output,
        title=f"golden set {detail.summary.name}",
        empty="no golden decisions yet",
    )


@golden_app.command("serve")
def serve(
    golden_set_name: str | None = typer.Option(None, "--set", metavar="SET", help="Only this set."),
    every: float | None = typer.Option(
        None, "--every", metavar="SECONDS", min=1.0, help="Keep serving at this interval until stopped (Ctrl+C)."
    ),
) -> None:
    """Open the golden jobs due now: each set's share of every queue's inflow over the last 24 hours."""
    database = open_database()
    rng = random.SystemRandom()
    stop = threading.Event()
    while True:
        with database.transaction() as session:
            opened = serve_golden_jobs(
                session, now=system_clock(), rng=rng, principal=SYSTEM.name, set_name=golden_set_name
            )
        console.print(f"{len(opened):,} golden jobs opened")
        if every is None:
            return
        try:
            stop.wait(every)
        except KeyboardInterrupt:
            return
