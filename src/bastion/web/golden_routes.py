"""Golden set pages: every set with its score, and one set with its items and each reviewer's golden
decisions against the answers. They call the same services as `/api/v1/golden-sets`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.golden import golden_set, golden_sets
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.QUALITY_READ)


@router.get("/quality/golden", response_class=HTMLResponse)
def golden_sets_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        sets = golden_sets(session)
    return render_page(request, "golden_sets.html", {"title": "Golden sets", "sets": sets})


@router.get("/quality/golden/{name}", response_class=HTMLResponse)
def golden_set_page(
    request: Request, name: str, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        detail = golden_set(session, name[:64])
    return render_page(request, "golden_set.html", {"title": f"Golden set {detail.summary.name}", "page": detail})
