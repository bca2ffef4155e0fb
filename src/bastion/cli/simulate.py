"""`bastion simulate`: a synthetic platform with planted ground truth, written through ingest."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bastion.cli.console import choices, console, open_store
from bastion.clock import system_clock
from bastion.setup import initialise
from bastion.simulate import Scale, World
from bastion.simulate.reviewing import ReviewSummary, write_and_review
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.writer import write_platform

SCALES = choices(Scale)


def simulate(
    days: int = typer.Option(14, metavar="N", help="How many days of activity."),
    seed: int = typer.Option(1, metavar="N", help="The same seed and scale give the same platform."),
    scale: str = typer.Option(
        "small",
        metavar=SCALES,
        help="small (about 10k items), medium (about 1M), large (about 10M events).",
    ),
    truth: Path | None = typer.Option(None, metavar="FILE", help="Write the planted ground truth to this JSON file."),
    review: bool = typer.Option(
        False,
        "--review",
        help="Let the simulated reviewers work the queues as the reports come in, and actioned users appeal.",
    ),
) -> None:
    """Simulate a platform with planted harms, networks and spikes.

    Actors, content, views and reports are written through ingest, as a real platform's would be.

    With --review, time is simulated throughout: each job opens when its report was filed, and the
    planted workforce claims and decides it during their shifts through the review services.
    """
    spec = SimulationSpec.parse(seed=seed, scale=scale, days=days)
    database = open_store()
    initialise(database, system_clock)
    world = World(spec)
    expected = spec.profile.content_items
    with Progress(
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # a pipe or a log file gets the summary, not a bar's blank line
        transient=True,
    ) as progress:
        task = progress.add_task(f"{spec.scale.value}, {spec.days} days, seed {spec.seed}", total=None)
        reviewed: ReviewSummary | None = None
        if review:
            summary, reviewed = write_and_review(database, world, progress=lambda n: progress.update(task, completed=n))
        else:
            summary = write_platform(
                database, world.records(), clock=system_clock, progress=lambda n: progress.update(task, completed=n)
            )
    written = ", ".join(f"{count:,} {kind}" for kind, count in summary.written.items())
    console.print(f"simulated {spec.days} days at {spec.scale.value} scale (about {expected:,} items): {written}")
    if reviewed is not None:
        console.print(reviewed.describe())
    if summary.duplicates:
        console.print(f"{summary.duplicates:,} records were already stored (the same seed ran before)")
    if truth is not None:
        truth.write_text(json.dumps(world.truth(), indent=2, sort_keys=True), encoding="utf-8")
        console.print(f"planted truth written to {truth}")
