"""`bastion labels`: put labels on entities (actors, content, IPs, devices, links), take them off, list them."""

from __future__ import annotations

import typer
from rich.markup import escape

from bastion.auth.principal import SYSTEM
from bastion.cli.console import choices, console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.detect.durations import parse_duration
from bastion.detect.labels import ENTITY_TYPES, LabelView, add_label, label_view, list_labels, remove_label
from bastion.errors import NotFound

labels_app = typer.Typer(help="Labels on entities, which rules read: add, remove, list.", no_args_is_help=True)

ENTITY_TYPE = typer.Argument(..., metavar=choices(ENTITY_TYPES), help="What the label is on.", show_default=False)
VALUE = typer.Argument(..., metavar="VALUE", help="The entity: an actor or content id, an IP, a device id, a link.")
LABEL = typer.Argument(..., metavar="LABEL", help="Lower-case letters, digits and _ . : -, e.g. spam-wave.")


def _until(view: LabelView) -> str:
    return f"until {view.expires_at:%Y-%m-%d %H:%M} UTC" if view.expires_at is not None else "until removed"


@labels_app.command("add")
def add(
    entity_type: str = ENTITY_TYPE,
    value: str = VALUE,
    label: str = LABEL,
    expires_in: str | None = typer.Option(
        None, "--expires-in", metavar="DURATION", help="30m, 12h, 7d or 2w; without it, until removed."
    ),
) -> None:
    """Put a label on an entity; an active one is extended instead. Recorded in the audit log."""
    now = system_clock()
    expires_at = None if expires_in is None else now + parse_duration(expires_in, field="--expires-in")
    with open_database().transaction() as session:
        view = label_view(
            add_label(session, entity_type, value, label, expires_at=expires_at, by=SYSTEM.name, now=now), now
        )
    console.print(f"{escape(entity_type)} {escape(value)}: {escape(label)} {_until(view)}", soft_wrap=True)


@labels_app.command("remove")
def remove(entity_type: str = ENTITY_TYPE, value: str = VALUE, label: str = LABEL) -> None:
    """Take an active label off an entity now (it stays listed with --all). Recorded in the audit log."""
    with open_database().transaction() as session:
        removed = remove_label(session, entity_type, value, label, by=SYSTEM.name, now=system_clock())
    if not removed:
        raise NotFound(f"{entity_type} {value} has no active label {label}")
    console.print(f"{escape(entity_type)} {escape(value)}: {escape(label)} removed", soft_wrap=True)


LABEL_COLUMNS = (
    Column("id", numeric=True),
    Column("entity_type"),
    Column("value"),
    Column("label"),
    Column("status"),
    Column("expires_at"),
    Column("created_at"),
    Column("created_by"),
    Column("removed_at"),
)


@labels_app.command("list")
def list_command(
    entity_type: str | None = typer.Option(
        None, "--entity-type", metavar=choices(ENTITY_TYPES), help="Only labels on this type of entity."
    ),
    value: str | None = typer.Option(None, "--value", metavar="VALUE", help="Only labels on this entity."),
    label: str | None = typer.Option(None, "--label", metavar="LABEL", help="Only this label."),
    include_expired: bool = typer.Option(False, "--all", help="Expired and removed labels too."),
    limit: int = typer.Option(100, "--limit", metavar="N", min=1, max=1000, help="At most this many, newest first."),
    output: FormatOption = OutputFormat.TABLE,
) -> None:
    """Active labels, newest first."""
    now = system_clock()
    with open_database().transaction() as session:
        views = list_labels(
            session,
            now=now,
            entity_type=entity_type,
            value=value,
            label=label,
            include_expired=include_expired,
            limit=limit,
        )
    rows = [
        (v.id, v.entity_type, v.value, v.label, v.status.value, v.expires_at, v.created_at, v.created_by, v.removed_at)
        for v in views
    ]
    print_listing(LABEL_COLUMNS, rows, output, empty="no labels")
