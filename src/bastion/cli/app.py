"""The command tree: every area (built in or a plugin) adds its commands through the `cli_commands` hook."""

from __future__ import annotations

from functools import cache

import typer

from bastion.cli.console import root_options
from bastion.plugins import in_registration_order


def command_line() -> typer.Typer:
    cli = typer.Typer(
        name="bastion",
        help="Bastion: integrity operations. Every command honours BASTION_DATABASE_URL.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Plain help: typer's rich panels label every flag, --help included, `<bool>`, and print the
        # help while building the error that `bastion` alone raises.
        rich_markup_mode=None,
    )
    cli.callback()(root_options)
    in_registration_order("cli_commands", cli=cli)
    return cli


@cache
def built() -> typer.Typer:
    """The command tree, built once, on first use: building it reads the settings (which plug-ins to
    load), and a bad setting must reach `run_guarded` as one clear line, not fail an import."""
    return command_line()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return built()
    raise AttributeError(name)
