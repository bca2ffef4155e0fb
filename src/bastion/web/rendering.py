"""Rendering pages: one layout, one navigation, autoescaped templates, and the error page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.errors import BastionError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.autoescape = True  # every template, whatever its file name


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    permission: Permission | None
    ready: bool = True


NAVIGATION = (
    NavItem("Home", "/", None),
    NavItem("Review", "/review", Permission.REVIEW_WORK),
    NavItem("Supervisor", "/review/supervisor", Permission.REVIEW_SUPERVISE),
    NavItem("Quality", "/quality", Permission.DECISION_READ, ready=False),
    NavItem("Investigations", "/cases", Permission.SUBJECT_READ, ready=False),
    NavItem("Insights", "/insights", Permission.DECISION_READ, ready=False),
    NavItem("Policies", "/policies", Permission.POLICY_READ),
    NavItem("Audit log", "/audit", Permission.AUDIT_READ),
    NavItem("Webhooks", "/admin/webhooks", Permission.ENFORCEMENT_MANAGE),
)


def _when(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


TEMPLATES.env.filters["when"] = _when


def navigation_for(principal: Principal | None, path: str) -> list[dict[str, Any]]:
    if principal is None:
        return []
    visible = [i for i in NAVIGATION if i.permission is None or principal.can(i.permission)]
    # The current item is the one whose address is the longest prefix of the path.
    matches = [i.href for i in visible if path == i.href or (i.href != "/" and path.startswith(i.href))]
    current = max(matches, key=len, default=None)
    return [{"label": i.label, "href": i.href, "ready": i.ready, "current": i.href == current} for i in visible]


def render_page(request: Request, template: str, values: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    context = {
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "navigation": navigation_for(principal, request.url.path),
        **values,
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def error_page(request: Request, error: BastionError) -> Response:
    return render_page(request, "error.html", {"error": error, "title": str(error.http_status)}, error.http_status)
