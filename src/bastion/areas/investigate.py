"""Investigations: coordinated networks and bulk actions on them, cases and their evidence, the entity graph."""

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
    from bastion.api.routes import cases, graph, networks
    from bastion.web import case_routes, graph_routes, network_routes

    return [
        cases.router,
        networks.router,
        graph.router,
        case_routes.router,
        network_routes.router,
        graph_routes.router,
    ]


@hookimpl
def navigation() -> Sequence[NavItem]:
    from bastion.domain.access import Permission
    from bastion.web.navigation import NavItem

    return [
        NavItem("Cases", "/investigate/cases", Permission.INVESTIGATE_READ, order=50),
        NavItem("Networks", "/investigate/networks", Permission.INVESTIGATE_READ, order=51),
        NavItem("Entity graph", "/investigate/graph", Permission.INVESTIGATE_READ, order=52),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.cases import case_app
    from bastion.cli.investigate import investigate_app

    cli.add_typer(investigate_app, name="investigate")
    cli.add_typer(case_app, name="case")
