"""Matching: PDQ hash banks and their index, and near-duplicate clusters of text."""

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
    from bastion.api.routes import clusters, hash_banks
    from bastion.web import clusters_routes, hash_banks_routes

    return [hash_banks.router, hash_banks_routes.router, clusters.router, clusters_routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [
        NavItem("Image hashes", "/match/hashes", Permission.DETECTION_READ, order=34),
        NavItem("Clusters", "/match/clusters", Permission.REVIEW_SUPERVISE, order=35),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import clusters, hashbanks
    from bastion.cli.hash import hash_command

    cli.command("hash")(hash_command)
    cli.add_typer(hashbanks.hashbanks_app, name="hashbanks")
    cli.add_typer(clusters.clusters_app, name="clusters")


@hookimpl
def signal_providers(session: Session) -> Sequence[SignalProvider]:
    """`signals.hash`: the image's matches in each hash bank; `signals.neardup`: the text's cluster."""
    from bastion.match.matching import HashSignals, banks_in_force
    from bastion.match.neardup_signals import NearDuplicateSignals

    return [HashSignals(banks_in_force(session)), NearDuplicateSignals()]


@hookimpl
def detection_generation(session: Session) -> object:
    """The banks' versions: a bank added, enabled, disabled or changed gives the detector new fields."""
    from bastion.match.hash_banks import bank_versions

    return ("hash_banks", bank_versions(session))
