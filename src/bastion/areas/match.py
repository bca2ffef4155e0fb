"""Matching: PDQ hash banks and their index, and near-duplicate clusters of text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer

    from bastion.detect.signals import SignalProvider


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.hash import hash_command

    cli.command("hash")(hash_command)


# Near-duplicate clusters (each hook named for its part, so the hash banks' hooks can sit beside them).


@hookimpl(specname="signal_providers")
def neardup_signal_providers() -> Sequence[SignalProvider]:
    from bastion.match.neardup_signals import NearDuplicateSignals

    return [NearDuplicateSignals()]
