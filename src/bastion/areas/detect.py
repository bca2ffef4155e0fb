"""Detection: rules, banks, velocity and labels, the pipeline and its worker, shadow runs, backtests and
rule performance."""

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
    from bastion.api.routes import banks, detection, labels, rules
    from bastion.web import banks_routes, detect_routes

    return [detection.router, rules.router, banks.router, labels.router, detect_routes.router, banks_routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [NavItem("Detection", "/detect", Permission.DETECTION_READ, order=30)]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import banks, labels, rules, worker

    cli.add_typer(rules.rules_app, name="rules")
    cli.add_typer(banks.banks_app, name="banks")
    cli.add_typer(labels.labels_app, name="labels")
    cli.command("worker")(worker.worker)


@hookimpl
def content_stored(session: Session, content_pks: Sequence[int], now: datetime, principal: str) -> None:
    """Every stored content item is queued for detection in the transaction that stores it."""
    from bastion.detect.queue import enqueue

    enqueue(session, content_pks, now=now)
