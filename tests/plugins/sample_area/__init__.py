"""A third-party area, as a plugin package would write it: a page, a navigation entry, a command and an
after-commit hook, registered through BASTION_PLUGINS without a line changed in `bastion` itself."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.happened import DecisionMade
from bastion.http.security import requires
from bastion.plugins import hookimpl
from bastion.web.navigation import NavItem
from bastion.web.rendering import render_page

HEARD: list[DecisionMade] = []  # what the decision_made hook was told, in order

router = APIRouter(include_in_schema=False)


@router.get("/sample", response_class=HTMLResponse)
def sample_page(request: Request, principal: Principal = Depends(requires(Permission.DECISION_READ))) -> Response:
    return render_page(request, "sample.html", {"title": "Sample area", "heard": len(HEARD)})


@hookimpl
def routers() -> Sequence[APIRouter]:
    return [router]


@hookimpl
def navigation() -> Sequence[NavItem]:
    return [NavItem("Sample", "/sample", Permission.DECISION_READ, order=50)]


@hookimpl
def template_folders() -> Sequence[Path]:
    return [Path(__file__).with_name("templates")]


@hookimpl
def cli_commands(cli: typer.Typer) -> None:
    @cli.command("sample-greet")
    def greet(name: str = typer.Argument(..., help="Whom to greet.")) -> None:
        """Greet someone (a command added by the sample plugin)."""
        typer.echo(f"hello from the sample area, {name}")


@hookimpl
def decision_made(fact: DecisionMade) -> None:
    HEARD.append(fact)
