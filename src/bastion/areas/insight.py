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
    from bastion.api.routes import dashboards, metrics, prevalence, recommendations, sql, trends
    from bastion.web import (
        insight_routes,
        prevalence_routes,
        recommendation_routes,
        sql_routes,
        trends_routes,
    )

    return [
        metrics.router,
        dashboards.router,
        trends.router,
        prevalence.router,
        sql.router,
        recommendations.router,
        insight_routes.router,
        trends_routes.router,
        prevalence_routes.router,
        sql_routes.router,
        recommendation_routes.router,
    ]


@hookimpl
def navigation() -> Sequence[NavItem]:
    from bastion.domain.access import Permission
    from bastion.web.navigation import NavItem

    return [
        NavItem("Insight", "/insight", Permission.INSIGHT_READ, order=40),
        NavItem("Trends", "/insight/trends", Permission.INSIGHT_READ, order=41),
        NavItem("Prevalence", "/insight/prevalence", Permission.INSIGHT_READ, order=42),
        NavItem("Recommendations", "/insight/recommendations", Permission.INSIGHT_READ, order=43),
        NavItem("SQL console", "/insight/sql", Permission.INSIGHT_SQL, order=44),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import export, metrics, report, sql, trends
    from bastion.cli.prevalence import prevalence_app
    from bastion.cli.recommend import recommend_app

    cli.command("metrics")(metrics.metrics)
    cli.add_typer(report.report_app, name="report")
    cli.add_typer(export.export_app, name="export")
    cli.add_typer(trends.trends_app, name="trends")
    cli.add_typer(prevalence_app, name="prevalence")
    cli.command("sql")(sql.sql_command)
    cli.add_typer(recommend_app, name="recommend")
