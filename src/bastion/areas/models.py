"""Models: classifiers trained from Bastion's own decisions, external model endpoints, and their scores
as signals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bastion.domain.access import Permission
from bastion.plugins import hookimpl
from bastion.web.navigation import NavItem

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from bastion.detect.signals import SignalProvider


@hookimpl
def routers() -> Sequence[APIRouter]:
    from bastion.api.routes import models
    from bastion.web import models_routes

    return [models.router, models_routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [NavItem("Models", "/models", Permission.DETECTION_READ, order=34)]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import models

    cli.add_typer(models.classifier_app, name="classifier")


@hookimpl
def signal_providers(session: Session) -> Sequence[SignalProvider]:
    from bastion.models.signals import model_signals

    return model_signals(session)


@hookimpl
def detection_generation(session: Session) -> object:
    from bastion.models.versions import models_generation

    return models_generation(session)
