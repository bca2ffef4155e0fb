"""Recommendation pages: the ranked list and one recommendation with its evidence, its chart and the
button that carries it out. They read the same service as `GET /api/v1/recommendations`."""

from __future__ import annotations

import random
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.charts import Bar, Chart, bars
from bastion.domain.access import Permission
from bastion.errors import Conflict, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.recommend.model import Recommendation
from bastion.insight.recommend.service import act, recommendation, recommendations
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INSIGHT_READ)
can_manage = requires(Permission.INSIGHT_MANAGE)


@router.get("/insight/recommendations")
def recommendations_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    found = recommendations(context.database, now=context.clock())
    values = {"title": "Recommendations", "recommendations": found, "as_of": context.clock()}
    return render_page(request, "insight_recommendations.html", values)


@router.get("/insight/recommendations/{key}")
def recommendation_page(
    request: Request,
    key: str,
    acted: int = Query(0, ge=0, le=1),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    found = recommendation(context.database, key[:255], now=context.clock())
    return _page(request, found, principal, acted=bool(acted))


@router.post("/insight/recommendations/{key}/act")
def act_page(
    request: Request, key: str, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    try:
        act(context.database, key[:255], principal=principal.name, now=context.clock(), rng=random.Random())
    except (InvalidInput, Conflict) as refused:
        found = recommendation(context.database, key[:255], now=context.clock())
        return _page(request, found, principal, error=refused.message, status_code=409)
    return RedirectResponse(f"/insight/recommendations/{quote(key[:255], safe='')}?acted=1", status_code=303)


def _page(
    request: Request,
    found: Recommendation,
    principal: Principal,
    *,
    acted: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    values = {
        "title": found.title,
        "r": found,
        "chart": evidence_chart(found),
        "can_manage": principal.can(Permission.INSIGHT_MANAGE),
        "just_acted": acted,
        "error": error,
    }
    return render_page(request, "insight_recommendation.html", values, status_code=status_code)


def evidence_chart(found: Recommendation) -> Chart | None:
    """The evidence series as bars, drawn on the server; shares (all between 0 and 1) in per cent."""
    series = found.evidence.series
    if not series:
        return None
    shares = all(0.0 <= p.value <= 1.0 for p in series) and any(0.0 < p.value < 1.0 for p in series)
    title = found.evidence.series_title + (" (%)" if shares else "")
    return bars(
        [Bar(p.label, round(p.value * 100 if shares else p.value), unit="%" if shares else "") for p in series],
        value_title=title,
        width=420,
    )
