"""The command tree: every area (built in or a plugin) adds its commands through the `cli_commands` hook."""

from __future__ import annotations

import typer

from bastion.plugins import in_registration_order


def command_line() -> typer.Typer:
    cli = typer.Typer(
        name="bastion",
        help="Bastion: integrity operations. Every command honours BASTION_DATABASE_URL.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    in_registration_order("cli_commands", cli=cli)
    return cli


app = command_line()
