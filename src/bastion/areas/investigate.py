"""Investigations: coordinated networks of accounts (cases, the entity graph and evidence come later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.investigate import investigate_app

    cli.add_typer(investigate_app, name="investigate")
