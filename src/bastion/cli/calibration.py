"""`bastion quality calibration`: create, list, show and close calibration exercises."""

from __future__ import annotations

import json
import random

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.quality.calibration import close_exercise, create_exercise, exercise_view, list_exercises

calibration_app = typer.Typer(
    help="Calibration exercises: a set of items every reviewer of a group decides, then compared.",
    no_args_is_help=True,
)

EXERCISE = typer.Argument(..., metavar="ID", help="The exercise's id (see `list`).", show_default=False)


@calibration_app.command("create")
def create(
    name: str = typer.Argument(..., metavar="NAME", help="What the exercise is about.", show_default=False),
    group: str = typer.Option(
        ..., "--group", metavar="GROUP", help="queue:NAME (its reviewers), vendor:NAME or users:NAME,NAME."
    ),
    item: list[str] = typer.Option(
        [], "--item", metavar="CONTENT_ID", help="An item by its content id; repeat for each."
    ),
    sample_queue: str | None = typer.Option(
        None, "--sample-queue", metavar="QUEUE", help="Or: sample this queue's recently decided items."
    ),
    sample_size: int = typer.Option(20, "--sample-size", metavar="N", help="How many items to sample."),
    seed: int | None = typer.Option(None, "--seed", metavar="N", help="Seed of the sample, to draw it again."),
) -> None:
    """Create an open exercise. Recorded in the audit log."""
    with open_database().transaction() as session:
        pk = create_exercise(
            session,
            name=name,
            group=group,
            content_ids=item,
            sample_queue=sample_queue,
            sample_size=sample_size,
            rng=random.Random(seed),
            now=system_clock(),
            by=SYSTEM.name,
        )
        view = exercise_view(session, pk, SYSTEM)
    summary = view.exercise
    console.print(
        f"exercise {pk} {escape(summary.name)}: {summary.items} items, {len(summary.reviewers)} reviewers "
        f"({escape(', '.join(summary.reviewers))})",
        soft_wrap=True,
    )


COLUMNS = (
    Column("id", numeric=True),
    Column("name"),
    Column("group"),
    Column("status"),
    Column("items", numeric=True),
    Column("reviewers", numeric=True),
    Column("answered", numeric=True),
    Column("created_at"),
    Column("closed_at"),
)


@calibration_app.command("list")
def list_command(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every exercise, newest first."""
    with open_database().transaction() as session:
        exercises = list_exercises(session, SYSTEM)
    rows = [
        (e.id, e.name, e.group, e.status.value, e.items, len(e.reviewers), e.answered, e.created_at, e.closed_at)
        for e in exercises
    ]
    print_listing(COLUMNS, rows, output, empty="no calibration exercises")


@calibration_app.command("show")
def show(
    exercise: int = EXERCISE, as_json: bool = typer.Option(False, "--json", help="The whole exercise as JSON.")
) -> None:
    """An exercise: per item the distribution of answers, the group's agreement, the discussion."""
    with open_database().transaction() as session:
        view = exercise_view(session, exercise, SYSTEM)
    if as_json:
        from pydantic import TypeAdapter

        print(json.dumps(TypeAdapter(type(view)).dump_python(view, mode="json"), ensure_ascii=False, indent=2))
        return
    e = view.exercise
    console.print(
        f"exercise {e.id} {escape(e.name)} · {e.status.value} · {escape(e.group)} · "
        f"{e.answered} of {len(e.reviewers)} reviewers answered every item",
        soft_wrap=True,
    )
    if view.agreement is not None:
        a = view.agreement
        console.print(
            f"agreement: alpha {_number(a.krippendorff_alpha)}, Fleiss' kappa {_number(a.fleiss_kappa)}, "
            f"{_number(a.percent_agreement)} of pairs agree, over {a.items} items and {a.answers} answers",
            soft_wrap=True,
        )
    for item in view.items:
        answers = ", ".join(f"{label} {count}" for label, count in item.distribution.items()) or "no answer yet"
        console.print(f"{item.position}. {escape(item.content_id)}: {escape(answers)}", soft_wrap=True)
        for note in item.notes:
            console.print(f"   note by {escape(note.author)}: {escape(note.text)}", soft_wrap=True)
    for note in view.notes:
        console.print(f"note by {escape(note.author)}: {escape(note.text)}", soft_wrap=True)


@calibration_app.command("close")
def close(exercise: int = EXERCISE) -> None:
    """Close an exercise: answers are no longer taken, and its reviewers see the comparison."""
    with open_database().transaction() as session:
        close_exercise(session, exercise, now=system_clock(), by=SYSTEM.name)
    console.print(f"exercise {exercise} closed")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
