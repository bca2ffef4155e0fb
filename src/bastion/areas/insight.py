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
    from bastion.api.routes import sql
    from bastion.web import sql_routes

    return [sql.router, sql_routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    from bastion.domain.access import Permission
    from bastion.web.navigation import NavItem

    return [NavItem("SQL console", "/insight/sql", Permission.INSIGHT_SQL, order=32)]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import sql

    cli.command("sql")(sql.sql_command)
