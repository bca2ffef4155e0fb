"""Decision quality: QA sampling and blind re-review, golden sets, agreement and accuracy scores,
scorecards, calibration exercises, and the import of decisions made elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bastion.domain.happened import AppealDecided, DecisionMade
from bastion.domain.review import AppealStatus
from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy.orm import Session

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


@hookimpl
def decision_stored(session: Session, fact: DecisionMade) -> None:
    """Sample the decision under its queue's QA plan, in the decision's own transaction."""
    from bastion.quality.qa import sample_in_transaction

    sample_in_transaction(session, fact.decision_pk, fact.queue, now=fact.at)


@hookimpl
def appeal_decided(fact: AppealDecided) -> None:
    """An overturned appeal: its decision may be sampled under the plan's `overturned` target."""
    if fact.outcome != AppealStatus.OVERTURNED:
        return
    from bastion.quality.qa import sample_overturned_in_own_transaction

    sample_overturned_in_own_transaction(fact.appeal_id, now=fact.at)
