"""Matching: PDQ hash banks and their index, and near-duplicate clusters of text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.hash import hash_command

    cli.command("hash")(hash_command)
