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
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli.hash import hash_command

    cli.command("hash")(hash_command)


# Hash banks.


@hookimpl(specname="routers")
def hash_bank_routers() -> Sequence[APIRouter]:
    from bastion.api.routes import hash_banks
    from bastion.web import hash_banks_routes

    return [hash_banks.router, hash_banks_routes.router]


@hookimpl(specname="navigation")
def hash_bank_navigation() -> Sequence[NavItem]:
    return [NavItem("Image hashes", "/match/hashes", Permission.DETECTION_READ, order=34)]


@hookimpl(specname="cli_commands")
def hash_bank_cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import hashbanks

    cli.add_typer(hashbanks.hashbanks_app, name="hashbanks")


@hookimpl(specname="signal_providers")
def hash_bank_signal_providers(session: Session) -> Sequence[SignalProvider]:
    """`signals.hash`: the image's matches in each hash bank."""
    from bastion.match.matching import HashSignals, banks_in_force

    return [HashSignals(banks_in_force(session))]


@hookimpl
def detection_generation(session: Session) -> object:
    """The banks' versions: a bank added, enabled, disabled or changed gives the detector new fields."""
    from bastion.match.hash_banks import bank_versions

    return ("hash_banks", bank_versions(session))


# Near-duplicate clusters (each hook named for its part, so the hash banks' hooks can sit beside them).


@hookimpl(specname="signal_providers")
def neardup_signal_providers() -> Sequence[SignalProvider]:
    from bastion.match.neardup_signals import NearDuplicateSignals

    return [NearDuplicateSignals()]


@hookimpl(specname="routers")
def neardup_routers() -> Sequence[APIRouter]:
    from bastion.api.routes import clusters
    from bastion.web import clusters_routes

    return [clusters.router, clusters_routes.router]


@hookimpl(specname="navigation")
def neardup_navigation() -> Sequence[NavItem]:
    return [NavItem("Clusters", "/match/clusters", Permission.REVIEW_SUPERVISE, order=35)]


@hookimpl(specname="cli_commands")
def neardup_cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import clusters

    cli.add_typer(clusters.clusters_app, name="clusters")
