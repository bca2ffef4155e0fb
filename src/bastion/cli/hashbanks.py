"""`bastion hashbanks`: PDQ hash banks that images are matched against (`signals.hash.NAME`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.domain.match import HashBankKind
from bastion.errors import InvalidInput
from bastion.match.hash_banks import (
    FloodLimit,
    create_hash_bank,
    import_hashes,
    list_hash_banks,
    set_enabled,
    set_threshold,
)
from bastion.match.hash_lists import ListFormat
from bastion.match.lookup import LookupResult, look_up_hashes, look_up_image
from bastion.match.pdq import DEFAULT_THRESHOLD

KINDS = choices(HashBankKind)
FORMATS = choices(ListFormat)
hashbanks_app = typer.Typer(help="PDQ hash banks that images are matched against.", no_args_is_help=True)


@hashbanks_app.command("create")
def hashbanks_create(
    name: str = typer.Argument(
        ..., metavar="NAME", help="Lower-case letters, digits and _; rules read signals.hash.NAME."
    ),
    kind: HashBankKind = typer.Option(
        HashBankKind.MATCH, "--kind", metavar=KINDS, help="match, or allow (a negative bank)."
    ),
    threshold: int = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", metavar="BITS", help="Bits within which a hash matches."
    ),
    policy: str | None = typer.Option(None, "--policy", metavar="POLICY", help="The policy its hashes stand for."),
    flood_limit: int | None = typer.Option(
        None, "--flood-limit", metavar="N", help="Hold a hash's matches for review past N items ..."
    ),
    flood_window: int | None = typer.Option(None, "--flood-window", metavar="SECONDS", help="... within this long."),
    description: str = typer.Option("", "--description", metavar="TEXT", help="What the bank is for."),
) -> None:
    """Create an empty, enabled hash bank; fill it with `bastion hashbanks import`."""
    if (flood_limit is None) != (flood_window is None):
        raise InvalidInput("a flood limit needs both --flood-limit and --flood-window")
    flood = FloodLimit(flood_limit, flood_window) if flood_limit is not None and flood_window is not None else None
    with open_database().transaction() as session:
        create_hash_bank(
            session,
            name,
            kind=kind,
            description=description,
            threshold=threshold,
            policy_id=policy,
            flood=flood,
            principal=SYSTEM.name,
            now=system_clock(),
        )
    console.print(f"created {kind.value} hash bank [bold]{escape(name)}[/] (empty until the first import)")


@hashbanks_app.command("import")
def hashbanks_import(
    name: str = typer.Argument(..., metavar="NAME", help="The bank."),
    file: Path = typer.Argument(..., metavar="FILE", exists=True, dir_okay=False, readable=True, help="The list."),
    list_format: ListFormat = typer.Option(
        ListFormat.AUTO,
        "--format",
        metavar=FORMATS,
        help="hex (one a line), csv (pdq and label columns), threatexchange (its dataset CSV), pdq-hasher "
        "(hash,quality,filename); auto reads the first line.",
    ),
) -> None:
    """Add a list of hashes to a bank and match them against stored content. A bad row is an error naming
    its line, and then nothing is imported."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{file.name} is not UTF-8 text (byte {error.start} cannot be read); save it as UTF-8"
        ) from None
    with open_database().transaction() as session:
        done = import_hashes(
            session, name, text, list_format=list_format, principal=SYSTEM.name, now=system_clock(), source=file.name
        )
    console.print(
        f"hash bank [bold]{escape(name)}[/] holds {_hashes(done.entry_count)}: {done.added:,} added, "
        f"{done.already_present:,} already in it ({done.format} list)"
    )
    if done.skipped:
        console.print(f"{done.skipped:,} rows of other signal types skipped")
    console.print(f"stored items the new hashes match: {done.retroactive_matches:,}, checked by the rules again")
    console.print(f"review jobs they opened: {done.jobs_opened:,}")


def _hashes(count: int) -> str:
    return f"{count:,} hash" if count == 1 else f"{count:,} hashes"


BANK_COLUMNS = (
    Column("name"),
    Column("kind"),
    Column("enabled"),
    Column("threshold", numeric=True),
    Column("policy"),
    Column("hashes", numeric=True),
    Column("matches", numeric=True),
    Column("flood"),
    Column("updated_at"),
)


@hashbanks_app.command("list")
def hashbanks_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every hash bank with its settings, size and match count."""
    with open_database().transaction() as session:
        banks = list_hash_banks(session)
    rows = [
        (
            b.name,
            b.kind.value,
            "yes" if b.enabled else "no",
            b.threshold,
            b.policy_id or "",
            b.entry_count,
            b.match_count,
            f"more than {b.flood.limit} in {b.flood.window_seconds}s" if b.flood else "",
            b.updated_at,
        )
        for b in banks
    ]
    print_listing(BANK_COLUMNS, rows, output, empty="no hash banks yet: create one with 'bastion hashbanks create'")


@hashbanks_app.command("enable")
def hashbanks_enable(name: str = typer.Argument(..., metavar="NAME", help="The bank.")) -> None:
    """Enable a hash bank."""
    with open_database().transaction() as session:
        set_enabled(session, name, True, principal=SYSTEM.name, now=system_clock())
    console.print(f"hash bank [bold]{escape(name)}[/] enabled")


@hashbanks_app.command("disable")
def hashbanks_disable(name: str = typer.Argument(..., metavar="NAME", help="The bank.")) -> None:
    """Disable a hash bank: it matches nothing until enabled (its hashes stay)."""
    with open_database().transaction() as session:
        set_enabled(session, name, False, principal=SYSTEM.name, now=system_clock())
    console.print(f"hash bank [bold]{escape(name)}[/] disabled")


@hashbanks_app.command("threshold")
def hashbanks_threshold(
    name: str = typer.Argument(..., metavar="NAME", help="The bank."),
    bits: int = typer.Argument(..., metavar="BITS", help="Bits within which a hash matches (31 by default)."),
) -> None:
    """Set a hash bank's distance threshold."""
    with open_database().transaction() as session:
        set_threshold(session, name, bits, principal=SYSTEM.name, now=system_clock())
    console.print(f"hash bank [bold]{escape(name)}[/] matches within {bits} bits")


@hashbanks_app.command("lookup")
def hashbanks_lookup(
    queries: list[str] = typer.Argument(
        ..., metavar="HASH|IMAGE...", help="PDQ hashes (64 hex digits) or image files."
    ),
    dihedral: bool = typer.Option(False, "--dihedral", help="For images: also look up their rotations and flips."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The banked hashes near each query, nearest first; nothing is recorded."""
    results: list[tuple[str, LookupResult]] = []
    with open_database().transaction() as session:
        for query in queries:
            path = Path(query)
            if path.is_file():
                results.append((query, look_up_image(session, path.read_bytes(), dihedral=dihedral)))
            else:
                results.append((query, look_up_hashes(session, [query])[0]))
    if as_json:
        body = [
            {
                "query": q,
                "pdq": r.pdq,
                "quality": r.quality,
                "matches": [m.__dict__ | {"kind": str(m.kind)} for m in r.matches],
            }
            for q, r in results
        ]
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    for query, result in results:
        quality = f" (quality {result.quality})" if result.quality is not None else ""
        console.print(f"{escape(query)}: {result.pdq}{quality}", markup=False)
        if not result.matches:
            console.print("  no match in any enabled bank")
        for match in result.matches:
            label = f" {match.label}" if match.label else ""
            turned = "" if match.variant == "original" else f" ({match.variant})"
            console.print(f"  {match.bank} ({match.kind}): distance {match.distance}{label}{turned}", markup=False)
