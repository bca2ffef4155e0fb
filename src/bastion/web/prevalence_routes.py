"""The prevalence page: every round with its labelling progress, and a labelled round's estimate. It
calls the same services as `/api/v1/prevalence`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.insight import PrevalenceRoundStatus
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.prevalence.report import round_estimate
from bastion.insight.prevalence.rounds import list_rounds
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INSIGHT_READ)


@router.get("/insight/prevalence", response_class=HTMLResponse)
def prevalence_page(
    request: Request,
    round_name: str | None = Query(None, alias="round", max_length=128),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        rounds = list_rounds(session)
        done = [r.name for r in rounds if r.status == PrevalenceRoundStatus.DONE]
        chosen = round_name if round_name is not None else (done[0] if done else None)
        estimate = round_estimate(session, chosen) if chosen is not None else None
    values = {"title": "Prevalence", "rounds": rounds, "estimate": estimate}
    return render_page(request, "insight_prevalence.html", values)
