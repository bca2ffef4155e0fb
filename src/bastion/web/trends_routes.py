"""The trends page: alerts with their evidence and charts, and this week against the last per segment.
It reads the same alerts as `GET /api/v1/trends/alerts`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.insight import TrendKind
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.trends.charts import alert_chart
from bastion.insight.trends.views import overview
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INSIGHT_READ)
CHARTS = 20  # the newest alerts drawn; older ones keep their numbers


@router.get("/insight/trends")
def trends_page(
    request: Request,
    kind: TrendKind | None = Query(None),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        found = overview(session, now=context.clock(), kind=kind)
    charts = {a.pk: alert_chart(a) for a in found.alerts[:CHARTS]}
    values = {"title": "Trends", "view": found, "charts": charts, "kind": kind, "kinds": list(TrendKind)}
    return render_page(request, "trends.html", values)
