"""The foundation: health, ingest, subjects, policies, the audit log, users and keys, import, the simulator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bastion.domain.access import Permission
from bastion.plugins import hookimpl
from bastion.web.navigation import NavItem

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter


@hookimpl
def routers() -> Sequence[APIRouter]:
    from bastion.api.routes import audit, health, ingest, subjects
    from bastion.web import routes

    return [health.router, ingest.router, subjects.router, audit.router, routes.router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [
        NavItem("Home", "/", None, order=0),
        NavItem("Policies", "/policies", Permission.POLICY_READ, order=80),
        NavItem("Audit log", "/audit", Permission.AUDIT_READ, order=90),
    ]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    from bastion.cli import audit, data, server, simulate, users

    cli.command("init")(server.init)
    cli.command("demo")(server.demo)
    cli.command("serve")(server.serve)
    cli.command("import")(data.import_command)
    cli.command("simulate")(simulate.simulate)
    cli.add_typer(users.user_app, name="user")
    cli.add_typer(users.apikey_app, name="apikey")
    cli.add_typer(data.policies_app, name="policies")
    cli.add_typer(audit.audit_app, name="audit")
