"""Detection's commands beside `bastion rules check|load|list`: backtest a rule file on history, install
the reference rule set, and `bastion worker`."""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.backtest import BacktestReport, Rate
from bastion.detect.worker import DEFAULT_BATCH, DEFAULT_LEASE, DetectionWorker, queue_depth
from bastion.errors import FieldError, InvalidInput


def _day(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"bad {option}",
            [FieldError(option, f"must be a date or a date-time in ISO 8601, such as 2026-11-01; got {value!r}")],
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rate(rate: Rate) -> str:
    if rate.value is None:
        return "—"
    return f"{rate.value:.0%} ({rate.low:.0%}–{rate.high:.0%}, n={rate.total})"


BACKTEST_COLUMNS = (
    Column("rule"),
    Column("mode"),
    Column("policy"),
    Column("hits", numeric=True),
    Column("decided", numeric=True),
    Column("precision"),
    Column("recall"),
    Column("overlap_with_live", numeric=True),
)


def rules_backtest(
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="A rule file (YAML)."
    ),
    since: str = typer.Option(..., metavar="DATE", help="Replay the items posted from this date (ISO 8601)."),
    until: str | None = typer.Option(None, metavar="DATE", help="…up to this date (default: now)."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Run a rule file over stored history, acting on nothing: hits per rule, overlap with the live rules,
    and precision and recall against review's decisions with 95 % Wilson intervals."""
    from bastion.cli.rules import _print_diagnostics, _read
    from bastion.detect.checking import RulesDoNotCheck, known_names, parse_checked
    from bastion.detect.service import run_backtest

    start = _day(since, "--since")
    end = _day(until, "--until") if until else system_clock()
    if end <= start:
        raise InvalidInput("bad period", [FieldError("--until", "must be after --since")])
    source = str(file)
    text = _read(file)
    with open_database().transaction() as session:
        try:
            rule_set = parse_checked(text, source, known_names(session))
        except RulesDoNotCheck as refused:
            _print_diagnostics(source, refused.diagnostics)
            raise typer.Exit(1) from None
        report = run_backtest(session, rule_set.rules, since=start, until=end)
    _print_backtest(report, output)


def _print_backtest(report: BacktestReport, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(asdict(report), default=str, ensure_ascii=False, indent=2) + "\n")
        return
    rows = [
        (r.name, r.mode, r.policy, r.hits, r.decided, _rate(r.precision), _rate(r.recall), r.overlap_with_live)
        for r in report.rules
    ]
    period = f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
    title = f"backtest {period}: {report.items:,} items, {report.decided:,} decided"
    print_listing(BACKTEST_COLUMNS, rows, output, title=title, empty="no rules")
    for name, reason in report.broken.items():
        console.print(f"not run: {name}: {reason}", markup=False)


def rules_reference() -> None:
    """Install Bastion's reference rule set for a start: spam bursts, scam links and known slurs, with the
    keyword and regex banks they read. Running it again changes nothing unless the set changed."""
    from bastion.detect.reference import install_reference

    with open_database().transaction() as session:
        installed = install_reference(session, principal=SYSTEM.name, now=system_clock())
    if installed.banks_created:
        console.print(f"banks created: {', '.join(installed.banks_created)}", markup=False)
    if installed.banks_updated:
        console.print(f"banks updated: {', '.join(installed.banks_updated)}", markup=False)
    rules = installed.rules
    console.print(
        f"rules: {len(rules.created)} created, {len(rules.changed)} changed, {len(rules.unchanged)} unchanged, "
        f"{len(rules.retired)} retired",
        markup=False,
    )


def worker(
    batch: int = typer.Option(
        DEFAULT_BATCH, metavar="N", min=1, max=10_000, help="Items taken from the queue at a time."
    ),
    lease_seconds: int = typer.Option(
        int(DEFAULT_LEASE.total_seconds()),
        metavar="SECONDS",
        min=5,
        max=24 * 3600,
        help="How long a taken batch is held before another worker may take it again.",
    ),
    once: bool = typer.Option(False, "--once", help="Stop when the queue has nothing ready instead of waiting."),
) -> None:
    """Run detection on the queued content items: rules, banks, velocity and labels, exactly once per item.

    Run as many workers as you like, on one machine or several: each takes its own batches.
    """
    from bastion.detect.service import detect_for_worker

    database = open_database()
    stop = threading.Event()

    def on_signal(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with database.transaction() as session:
        waiting = queue_depth(session)
    console.print(f"detection worker: {waiting:,} items waiting" + ("" if once else " (Ctrl+C to stop)"))
    runner = DetectionWorker(
        database, detect_for_worker, system_clock, batch=batch, lease=timedelta(seconds=lease_seconds)
    )
    stats = runner.run(stop, once=once)
    console.print(
        f"evaluated {stats.evaluated:,} items in {stats.batches:,} batches: {stats.hits:,} rule hits"
        + (f", {stats.set_aside:,} set aside after repeated failures" if stats.set_aside else "")
    )
