"""QA plan pages: every queue's plan, and one queue's plan with its form and a preview of what it pulls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import InvalidInput, NotFound
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.qa import (
    MAX_PREVIEW_DAYS,
    get_plan,
    plan_text,
    plans_overview,
    preview_plan,
    read_plan_text,
    set_plan,
)
from bastion.quality.sampling import Preview
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.QUALITY_READ)
can_manage = requires(Permission.QUALITY_MANAGE)
MAX_PLAN_TEXT = 20_000


@router.get("/quality/plans", response_class=HTMLResponse)
def plans_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        queues, qa_queues = plans_overview(session)
    values = {"title": "QA plans", "queues": queues, "qa_queues": qa_queues}
    return render_page(request, "quality_plans.html", values)


@router.get("/quality/plans/{queue}", response_class=HTMLResponse)
def plan_page(
    request: Request,
    queue: str,
    saved: int | None = None,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _plan_page(request, context, principal, queue, text=None, saved=saved)


@router.post("/quality/plans/{queue}/preview", response_class=HTMLResponse)
def preview_submit(
    request: Request,
    queue: str,
    plan: str = Form("", max_length=MAX_PLAN_TEXT),
    days: int = Form(14, ge=1, le=MAX_PREVIEW_DAYS),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            document = read_plan_text(plan, "the plan") | {"queue": queue}
            result = preview_plan(session, document, days=days, now=context.clock())
    except InvalidInput as error:
        return _plan_page(request, context, principal, queue, text=plan, days=days, error=error, status_code=422)
    return _plan_page(request, context, principal, queue, text=plan, days=days, preview=result)


@router.post("/quality/plans/{queue}")
def save_submit(
    request: Request,
    queue: str,
    plan: str = Form("", max_length=MAX_PLAN_TEXT),
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            document = read_plan_text(plan, "the plan") | {"queue": queue}
            view = set_plan(session, document, principal=principal.name, now=context.clock())
    except InvalidInput as error:
        return _plan_page(request, context, principal, queue, text=plan, error=error, status_code=422)
    return RedirectResponse(f"/quality/plans/{queue}?saved={view.version}", status_code=303)


def _plan_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    queue: str,
    *,
    text: str | None,
    days: int = 14,
    saved: int | None = None,
    preview: Preview | None = None,
    error: InvalidInput | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        queues, qa_queues = plans_overview(session)
        chosen = next((q for q in queues if q.name == queue), None)
        if chosen is None:
            raise NotFound(f"no queue {queue!r} whose decisions a QA plan may sample")
        try:
            current = get_plan(session, queue)
        except NotFound:
            current = None
    values: dict[str, Any] = {
        "title": f"QA plan: {chosen.title}",
        "queue": chosen,
        "current": current,
        "text": text if text is not None else plan_text(current, qa_queue=qa_queues[0] if qa_queues else "qa"),
        "days": days,
        "max_days": MAX_PREVIEW_DAYS,
        "saved": saved,
        "preview": preview,
        "error": error,
        "may_change": principal.can(Permission.QUALITY_MANAGE),
    }
    return render_page(request, "quality_plan.html", values, status_code=status_code)
