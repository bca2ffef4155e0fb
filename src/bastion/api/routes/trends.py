"""Trends over REST: the alerts the trend scan recorded, with their evidence."""

from __future__ import annotations

from fastapi import Depends, Query
from fastapi.responses import Response

from bastion.api.contract import api_router, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.insight import TrendKind
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.trends.views import AlertList, alert_views

router = api_router("trends")


@router.get(
    "/trends/alerts",
    summary="Trend alerts (spikes, level shifts, emerging terms), the newest change first, with evidence",
    response_model=AlertList,
)
def get_trend_alerts(
    kind: TrendKind | None = Query(None, description="Only alerts of this kind"),
    limit: int = Query(200, ge=1, le=1000, description="At most this many"),
    principal: Principal = Depends(requires(Permission.INSIGHT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        return json_response(AlertList(alerts=alert_views(session, kind=kind, limit=limit)))
