"""`bastion webhooks`: deliver enforcement messages to the platform; the dead-letter list."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.config import settings
from bastion.review.webhooks import (
    DeliveryReport,
    dead_letters,
    deliver_due,
    make_client,
    replay,
    webhook_target,
)

webhooks_app = typer.Typer(help="Enforcement webhooks: delivery and the dead-letter list.", no_args_is_help=True)


def _summary(report: DeliveryReport) -> str:
    parts = [f"{report.delivered} delivered", f"{report.retrying} to retry", f"{report.dead} dead-lettered"]
    if report.superseded:
        parts.append(f"{report.superseded} answered after another worker took over")
    return ", ".join(parts)


@webhooks_app.command("deliver")
def deliver(
    once: bool = typer.Option(False, "--once", help="One pass over what is due, then exit."),
    interval: float = typer.Option(
        5.0, "--interval", metavar="SECONDS", min=0.1, help="Seconds between passes when running on."
    ),
    limit: int = typer.Option(100, "--limit", metavar="N", min=1, help="At most this many messages per pass."),
    timeout: float = typer.Option(
        10.0, "--timeout", metavar="SECONDS", min=0.1, help="Seconds to wait for the platform's answer."
    ),
) -> None:
    """Send due messages to BASTION_WEBHOOK_URL, signed with BASTION_WEBHOOK_SECRET; runs until Ctrl+C."""
    target = webhook_target(settings())
    database = open_database()
    with make_client(timeout) as client:
        if once:
            report = deliver_due(database, target, now=system_clock(), client=client, limit=limit)
            console.print(_summary(report))
            return
        console.print(f"delivering to [bold]{escape(target.origin)}[/] every {interval:g} s (Ctrl+C to stop)")
        stop = _stop_on_signals()
        while not stop.is_set():
            report = deliver_due(database, target, now=system_clock(), client=client, limit=limit)
            if report.sent:
                console.print(f"{system_clock():%H:%M:%S} {_summary(report)}")
            if report.sent < limit:
                stop.wait(interval)
        console.print("stopped")


def _stop_on_signals() -> threading.Event:
    """Ctrl+C or SIGTERM lets the current pass finish (no send or commit cut in half); a second stops at once."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)
    return stop


DEAD_LETTER_COLUMNS = (
    Column("id", numeric=True),
    Column("event"),
    Column("action", numeric=True),
    Column("subject_type"),
    Column("subject_id"),
    Column("attempts", numeric=True),
    Column("last_error"),
    Column("last_attempt_at"),
)


@webhooks_app.command("dead")
def dead(
    limit: int = typer.Option(100, "--limit", min=1, metavar="N", help="At most this many, newest first."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """The dead-letter list: messages that will not be sent again unless replayed."""
    with open_database().transaction() as session:
        letters = dead_letters(session, limit)
    rows = [
        (
            row.id,
            row.event,
            row.action_id,
            row.subject_type,
            row.subject_id,
            row.attempts,
            row.last_error,
            row.next_attempt_at,
        )
        for row in letters
    ]
    print_listing(DEAD_LETTER_COLUMNS, rows, output, empty="no dead letters")


@webhooks_app.command("replay")
def replay_command(
    delivery_id: int = typer.Argument(..., metavar="ID", help="The dead letter's id, from `bastion webhooks dead`."),
) -> None:
    """Put a dead letter back in the outbox, due now; recorded in the audit log."""
    with open_database().transaction() as session:
        row = replay(session, delivery_id, now=system_clock(), principal=SYSTEM.name)
        event = row.event
    console.print(f"delivery {delivery_id} ({escape(event)}) is pending again; the next pass sends it")
