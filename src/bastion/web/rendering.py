"""Rendering pages: one layout, one navigation, autoescaped templates, and the error page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.errors import BastionError
from bastion.history import history_line
from bastion.web.navigation import navigation_for

OWN_TEMPLATES = Path(__file__).with_name("templates")


def _when(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _path_segment(value: object) -> str:
    """A platform's id as one segment of a link: `/`, `?`, `#` and `%` quoted too, unlike `urlencode`,
    which keeps `/` (so `a/../b` would be resolved away by the browser)."""
    return quote(str(value), safe="")


def page_templates(area_folders: Sequence[Path] = ()) -> Jinja2Templates:
    """The app's templates: the shared layout and pages, then each area's folder (a plugin's pages extend
    `base.html` like the built-in ones). Autoescaped whatever the file name: content is hostile."""
    loader = ChoiceLoader([FileSystemLoader(OWN_TEMPLATES), *(FileSystemLoader(f) for f in area_folders)])
    templates = Jinja2Templates(env=Environment(loader=loader, autoescape=True))
    templates.env.filters["when"] = _when
    templates.env.filters["path_segment"] = _path_segment
    templates.env.filters["happened"] = lambda event: history_line(event.kind, event.data)
    return templates


def render_page(request: Request, template: str, values: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    context = {
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "navigation": navigation_for(request.app.state.navigation, principal, request.url.path),
        **values,
    }
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def error_page(request: Request, error: BastionError) -> Response:
    return render_page(request, "error.html", {"error": error, "title": str(error.http_status)}, error.http_status)
