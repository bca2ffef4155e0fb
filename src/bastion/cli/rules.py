"""`bastion rules`: check a rule file like a compiler, load it as new versions, list the rules in force."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from bastion.auth.principal import SYSTEM
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.checking import Diagnostic, RulesDoNotCheck, known_names, parse_checked
from bastion.detect.rule_store import LoadOutcome, load_rule_text, rules_in_force
from bastion.errors import InvalidInput

rules_app = typer.Typer(help="Detection rules: check, load and list.", no_args_is_help=True)

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
