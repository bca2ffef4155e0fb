"""`bastion rules`: check a rule file like a compiler, load it as new versions, list the rules in force,
backtest a file on history, install the reference rule set."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.backtest import BacktestReport, Rate
from bastion.detect.checking import Diagnostic, RulesDoNotCheck, known_names, parse_checked
from bastion.detect.rule_store import LoadOutcome, load_rule_text, rules_in_force
from bastion.errors import FieldError, InvalidInput

rules_app = typer.Typer(help="Detection rules: check, load, list and backtest.", no_args_is_help=True)

RuleFile = typer.Argument(..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="A rule file (YAML).")


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"rule file {file} is not UTF-8 text: {exc.reason}") from exc


def _print_diagnostics(source: str, diagnostics: Sequence[Diagnostic]) -> None:
    # Plain lines on standard output, as a compiler prints them, for editors and scripts to read.
    for diagnostic in diagnostics:
        sys.stdout.write(f"{diagnostic}\n")
    noun = "error" if len(diagnostics) == 1 else "errors"
    sys.stdout.write(f"{source}: {len(diagnostics)} {noun}\n")


@rules_app.command("check")
def rules_check(file: Path = RuleFile) -> None:
    """Check a rule file against the queues, policies and banks in the store; print every error as
    FILE:LINE:COLUMN: message. Exits 1 when there is any."""
    source = str(file)
    text = _read(file)
    with open_database().transaction() as session:
        known = known_names(session)
    try:
        rule_set = parse_checked(text, source, known)
    except RulesDoNotCheck as refused:
        _print_diagnostics(source, refused.diagnostics)
        raise typer.Exit(1) from None
    count = len(rule_set.rules)
    sys.stdout.write(f"{source}: {count} {'rule' if count == 1 else 'rules'}, no errors\n")


@rules_app.command("load")
def rules_load(file: Path = RuleFile) -> None:
    """Load a rule file: changed rules get a new version, unchanged ones keep theirs, rules no longer in
    the file are retired. A file that does not check is refused whole, with every error."""
    source = str(file)
    text = _read(file)
    try:
        with open_database().transaction() as session:
            outcome = load_rule_text(session, text, source=source, principal=SYSTEM.name, now=system_clock())
    except RulesDoNotCheck as refused:
        _print_diagnostics(source, refused.diagnostics)
        sys.stdout.write(f"{source}: not loaded; nothing changed\n")
        raise typer.Exit(1) from None
    _print_outcome(outcome)


def _print_outcome(outcome: LoadOutcome) -> None:
    for word, refs in (
        ("created", outcome.created),
        ("changed", outcome.changed),
        ("reinstated", outcome.reinstated),
        ("retired", outcome.retired),
        ("unchanged", outcome.unchanged),
    ):
        if refs:
            listed = ", ".join(f"{ref.name} v{ref.version}" for ref in refs)
            console.print(f"{word}: {listed}", markup=False, soft_wrap=True)
    added = outcome.versions_added
    console.print(f"{added} new {'version' if added == 1 else 'versions'}", markup=False)


RULE_COLUMNS = (
    Column("name"),
    Column("version", numeric=True),
    Column("mode"),
    Column("owner"),
    Column("policy"),
    Column("effects"),
    Column("confidence", numeric=True),
    Column("loaded_at"),
    Column("loaded_by"),
)


@rules_app.command("list")
def rules_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """The rules in force (mode off included), by name, with their version."""
    with open_database().transaction() as session:
        stored = rules_in_force(session)
    rows = [
        (
            s.name,
            s.version,
            s.rule.mode.value,
            s.rule.owner,
            s.rule.policy,
            [effect.kind.value for effect in s.rule.then],
            s.rule.confidence,
            s.loaded_at,
            s.loaded_by,
        )
        for s in stored
    ]
    print_listing(RULE_COLUMNS, rows, output, title="rules in force", empty="no rules loaded")


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


@rules_app.command("backtest")
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


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _print_backtest(report: BacktestReport, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(asdict(report), default=_iso, ensure_ascii=False, indent=2) + "\n")
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


@rules_app.command("reference")
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
