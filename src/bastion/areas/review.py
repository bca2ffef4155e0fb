"""Review operations: queues, the reviewer console, the supervisor view, enforcement webhooks, appeals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bastion.domain.access import Permission
from bastion.plugins import hookimpl
from bastion.web.navigation import NavItem

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def routers() -> Sequence[APIRouter]:
    from bastion.api.routes import review, supervisor, undo, webhooks
    from bastion.web import admin_routes, review_routes, supervisor_routes

    return [
        review.router,
        undo.router,
        supervisor.router,
        webhooks.router,
        review_routes.router,
        supervisor_routes.router,
        admin_routes.router,
    ]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [
        NavItem("Review", "/review", Permission.REVIEW_WORK, order=10),
        NavItem("Supervisor", "/review/supervisor", Permission.REVIEW_SUPERVISE, order=20),
        NavItem("Webhooks", "/admin/webhooks", Permission.ENFORCEMENT_MANAGE, order=95),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import queues, webhooks

    cli.add_typer(queues.queues_app, name="queues")
    cli.add_typer(webhooks.webhooks_app, name="webhooks")


@hookimpl
def reports_stored(session: Session, report_pks: Sequence[int], now: datetime, principal: str) -> None:
    """Reports open review jobs, or attach to the subject's open job, in the reports' own transaction."""
    from bastion.review.intake import open_jobs_for_reports

    open_jobs_for_reports(session, report_pks, now=now, principal=principal)
