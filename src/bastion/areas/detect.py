"""Detection: rules, banks, signals, the pipeline and its worker, shadow runs, backtests and rule
performance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bastion.plugins import hookimpl

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def content_stored(session: Session, content_pks: Sequence[int], now: datetime, principal: str) -> None:
    """Every stored content item is queued for detection in the transaction that stores it."""
    from bastion.detect.queue import enqueue

    enqueue(session, content_pks, now=now)


# Labels on entities. Each part of the area registers under its own name (`specname`), so the parts'
# routers and commands add up rather than compete for one `routers` function.


@hookimpl(specname="routers")
def label_routers() -> Sequence[APIRouter]:
    from bastion.api.routes import labels

    return [labels.router]


@hookimpl(specname="cli_commands")
def label_commands(cli: typer.Typer) -> None:
    from bastion.cli import labels

    cli.add_typer(labels.labels_app, name="labels")
