"""Insight: metrics on any engine, prevalence, trends, recommendations, the SQL console, dashboards,
exports and the weekly report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from bastion.web.navigation import NavItem


@hookimpl
def routers() -> Sequence[APIRouter]:
    return []


@hookimpl
def navigation() -> Sequence[NavItem]:
    return []


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import trends

    cli.add_typer(trends.trends_app, name="trends")
