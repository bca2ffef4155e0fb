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
    from bastion.api.routes import recommendations
    from bastion.web import recommendation_routes

    return [recommendations.router, recommendation_routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    from bastion.domain.access import Permission
    from bastion.web.navigation import NavItem

    return [NavItem("Recommendations", "/insight/recommendations", Permission.INSIGHT_READ, order=40)]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.recommend import recommend_app

    cli.add_typer(recommend_app, name="recommend")
