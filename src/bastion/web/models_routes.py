"""Model pages: the models in force with their agreement with reviewers, and one model with its card,
its versions and its newest scores. They call the same services as `/api/v1/models`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.models.versions import MAX_VERSION
from bastion.models.views import NOT_MEASURED_YET, list_models, model_detail
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.DETECTION_READ)


@router.get("/models", response_class=HTMLResponse)
def models_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        models = list_models(session)
    return render_page(request, "models.html", {"title": "Models", "models": models, "not_measured": NOT_MEASURED_YET})


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(
    request: Request,
    name: str,
    version: int | None = Query(None, ge=1, le=MAX_VERSION),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        detail = model_detail(session, name[:64], version)
    return render_page(request, "models_detail.html", {"title": f"Model {detail.model.name}", "page": detail})
