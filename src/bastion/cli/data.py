"""`bastion import` and `bastion policies`: getting data and policies in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bastion.auth.principal import SYSTEM
from bastion.cli.console import EXIT_INVALID, choices, console, errors, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.domain.subjects import IngestKind
from bastion.ingest.readers import FileFormat, ProgressSink
from bastion.policy.loader import load_policy_file
from bastion.policy.service import current_policies, load_policies
from bastion.store.database import Database

if TYPE_CHECKING:
    from bastion.ingest.batch import ImportSummary

policies_app = typer.Typer(help="The harm taxonomy: versioned policies.", no_args_is_help=True)
SHOWN_ERRORS = 20
KINDS, FORMATS = choices(IngestKind), choices(FileFormat)


class _RichProgress(ProgressSink):
    def __init__(self, progress: Progress, task: TaskID) -> None:
        super().__init__()
        self._progress, self._task = progress, task

    def start(self, total: int) -> None:
        super().start(total)
        self._progress.update(self._task, total=total)

    def advance(self, done: int) -> None:
        super().advance(done)
        self._progress.update(self._task, completed=done)


def import_command(
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="JSONL, CSV or Parquet."
    ),
    kind: IngestKind = typer.Option(..., "--kind", metavar=KINDS, help="What the file holds."),
    file_format: FileFormat | None = typer.Option(
        None,
        "--format",
        metavar=FORMATS,
        help="The file's format, when its name does not end in .jsonl, .csv or .parquet.",
    ),
    detect: bool = typer.Option(
        True,
        "--detect/--no-detect",
        help="Content: run detection on the new items in batches once imported (--no-detect leaves them "
        "queued for `bastion worker` or the server's detection thread).",
    ),
) -> None:
    """Import a file of actors, content, reports, views or decisions made elsewhere. Safe to run again:
    what is known already is skipped."""
    from bastion.ingest.batch import import_file  # Arrow and the readers: not at start-up

    database = open_database()
    with Progress(
        TextColumn("[bold]importing[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,  # a pipe or a log file gets the summary, not a bar's blank line
        transient=True,
    ) as progress:
        task = progress.add_task(escape(file.name), total=None)
        summary = import_file(
            database,
            file,
            kind,
            principal=SYSTEM.name,
            clock=system_clock,
            file_format=file_format,
            progress=_RichProgress(progress, task),
        )
    _print_summary(summary)
    if kind is IngestKind.CONTENT and detect and summary.created:
        _detect_queued(database)
    if summary.rejected and not summary.created and not summary.duplicates:
        raise typer.Exit(EXIT_INVALID)


def _detect_queued(database: Database) -> None:
    """Detection on what waits in the queue (the items just imported, and any left before), in batches."""
    import threading

    from bastion.detect.service import detect_for_worker
    from bastion.detect.worker import DetectionWorker

    with console.status("running detection on the imported items…"):
        stats = DetectionWorker(database, detect_for_worker, system_clock).run(threading.Event(), once=True)
    console.print(
        f"detection: {stats.evaluated:,} items evaluated in {stats.batches:,} batches, {stats.hits:,} rule hits"
    )


def _print_summary(summary: ImportSummary) -> None:
    for error in summary.errors[:SHOWN_ERRORS]:
        errors.print(
            f"[red]line {error.line}[/]: {escape(error.path + ': ' if error.path else '')}{escape(error.message)}",
            soft_wrap=True,
        )
    if summary.error_count > SHOWN_ERRORS:
        errors.print(f"… and {summary.error_count - SHOWN_ERRORS:,} more errors")
    rows = "row" if summary.rejected == 1 else "rows"
    console.print(
        f"{escape(summary.path)}: {summary.rows:,} rows read · [green]{summary.created:,} created[/] · "
        f"{summary.duplicates:,} already known · "
        + (f"[red]{summary.rejected:,} {rows} rejected[/]" if summary.rejected else "0 rejected"),
        soft_wrap=True,
    )


@policies_app.command("load")
def policies_load(
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="A policy file (YAML)."
    ),
) -> None:
    """Load a policy file; each changed policy gets a new version. Errors name the line and field."""
    policies = load_policy_file(file)
    now = system_clock()
    database = open_database()
    with database.transaction() as session:
        summary = load_policies(session, policies, source=file.name, principal=SYSTEM.name, now=now)
    console.print(
        f"loaded {len(policies)} policies from {escape(file.name)}: {len(summary.created)} new, "
        f"{len(summary.changed)} changed, {len(summary.unchanged)} unchanged, {len(summary.retired)} retired"
    )


POLICY_COLUMNS = (
    Column("policy"),
    Column("title"),
    Column("severity", numeric=True),
    Column("version", numeric=True),
    Column("dsa_category"),
)


@policies_app.command("list")
def policies_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """The live policies, in id order, with their versions."""
    with open_database().transaction() as session:
        records = list(current_policies(session).values())  # in id order
    rows = [(r.policy.id, r.policy.title, r.policy.severity, r.version, r.policy.dsa_category) for r in records]
    print_listing(POLICY_COLUMNS, rows, output, empty="no policies: 'bastion policies load FILE' loads some")
