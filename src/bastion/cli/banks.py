"""`bastion banks`: keyword and regex banks that rules read as signals; every import adds a version."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.banks import bank_detail, create_bank, import_entries, list_banks
from bastion.domain.detect import BankKind
from bastion.errors import InvalidInput

KINDS = choices(BankKind)
banks_app = typer.Typer(help="Keyword and regex banks that rules read as signals.", no_args_is_help=True)


@banks_app.command("create")
def banks_create(
    name: str = typer.Argument(..., metavar="NAME", help="Lower-case letters, digits and _; rules read it by name."),
    kind: BankKind = typer.Option(..., "--kind", metavar=KINDS, help="keyword or regex."),
    description: str = typer.Option("", "--description", metavar="TEXT", help="What the bank is for."),
) -> None:
    """Create an empty bank; fill it with `bastion banks import`."""
    with open_database().transaction() as session:
        create_bank(session, name, kind, description, principal=SYSTEM.name, now=system_clock())
    console.print(f"created {kind.value} bank [bold]{escape(name)}[/] (empty until the first import)")


@banks_app.command("import")
def banks_import(
    name: str = typer.Argument(..., metavar="NAME", help="The bank."),
    file: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="UTF-8 text, one entry a line."
    ),
    replace: bool = typer.Option(False, "--replace", help="The file becomes the whole list (default: append)."),
) -> None:
    """Import entries, one a line; blank lines and lines starting with # are skipped. A bad line is an error
    naming its line number, and then nothing is imported."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{file.name} is not UTF-8 text (byte {error.start} cannot be read); save it as UTF-8"
        ) from None
    with open_database().transaction() as session:
        done = import_entries(
            session, name, text, replace=replace, principal=SYSTEM.name, now=system_clock(), source=file.name
        )
    how = "replaced the list" if done.replaced else f"{done.added} added"
    console.print(f"bank [bold]{escape(name)}[/] is at version {done.version}: {_entries(done.entry_count)} ({how})")
    if done.duplicates:
        console.print(f"{_entries(len(done.duplicates), 'repeated ')} kept once:", markup=False)
        for entry in done.duplicates:
            console.print(f"  {entry}", markup=False)


def _entries(count: int, what: str = "") -> str:
    return f"{count:,} {what}{'entry' if count == 1 else 'entries'}"


BANK_COLUMNS = (
    Column("name"),
    Column("kind"),
    Column("version", numeric=True),
    Column("entries", numeric=True),
    Column("updated_at"),
    Column("description"),
)


@banks_app.command("list")
def banks_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every bank with its current version and size."""
    with open_database().transaction() as session:
        banks = list_banks(session)
    rows = [(b.name, b.kind.value, b.version, b.entry_count, b.updated_at, b.description) for b in banks]
    print_listing(BANK_COLUMNS, rows, output, empty="no banks yet: create one with 'bastion banks create'")


VERSION_COLUMNS = (
    Column("version", numeric=True),
    Column("entries", numeric=True),
    Column("loaded_at"),
    Column("loaded_by"),
    Column("source"),
    Column("digest"),
)


@banks_app.command("show")
def banks_show(
    name: str = typer.Argument(..., metavar="NAME", help="The bank."),
    entries: bool = typer.Option(False, "--entries", help="Print the current entries, one a line, instead."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """A bank's versions, newest first; with --entries, its current list (ready to import elsewhere)."""
    with open_database().transaction() as session:
        detail = bank_detail(session, name)
    if entries:
        sys.stdout.writelines(("\\" + e if e.startswith("#") else e) + "\n" for e in detail.entries)
        return
    rows = [(v.version, v.entry_count, v.loaded_at, v.loaded_by, v.source, v.digest) for v in detail.versions]
    title = escape(
        f"{detail.kind.value} bank {detail.name}" + (f": {detail.description}" if detail.description else "")
    )
    print_listing(VERSION_COLUMNS, rows, output, title=title, empty=f"{title}\nno versions yet: nothing imported")
