"""Investigations: coordinated networks of accounts, cases and their evidence (the entity graph comes later)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def routers() -> Sequence[APIRouter]:
    from bastion.api.routes import cases

    return [cases.router]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.cases import case_app
    from bastion.cli.investigate import investigate_app

    cli.add_typer(investigate_app, name="investigate")
    cli.add_typer(case_app, name="case")
