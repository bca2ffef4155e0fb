"""Decision quality: QA sampling and blind re-review, golden sets, agreement and accuracy scores,
scorecards, calibration exercises, and the import of decisions made elsewhere."""

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
    from bastion.api.routes import calibration, golden, qa, quality
    from bastion.web import golden_routes, qa_routes, quality_routes

    return [
        quality.router,
        qa.router,
        golden.router,
        calibration.router,
        quality_routes.router,
        qa_routes.router,
        golden_routes.router,
    ]


@hookimpl
def navigation() -> Sequence[NavItem]:
    from bastion.domain.access import Permission
    from bastion.web.navigation import NavItem

    return [
        NavItem("Quality", "/quality", Permission.QUALITY_READ, order=25),
        NavItem("My quality", "/quality/me", Permission.REVIEW_WORK, order=12),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import calibration, golden, qa, quality

    quality.quality_app.add_typer(qa.plans_app, name="plans")
    quality.quality_app.add_typer(golden.golden_app, name="golden")
    quality.quality_app.add_typer(calibration.calibration_app, name="calibration")
    cli.add_typer(quality.quality_app, name="quality")
