"""Dashboards over REST: `GET /api/v1/insight/dashboards/{kind}`, the JSON twin of the `/insight` pages."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from bastion.api.contract import Shape, api_router, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.dashboards.model import DEFAULT_WINDOW

router = api_router("insight")
Number = int | float | None


class FigureBody(Shape):
    metric: str
    column: str
    title: str
    unit: str
    kind: str = Field(description="count, rate (a share, 0 to 1) or quantity")
    value: Number = Field(description="This window's value; null when there is nothing to measure")
    previous: Number = Field(description="The same over the window just before; null for the backlog (a count now)")
    delta: Number = Field(description="value - previous (a rate's in its share); null when either is missing")
    href: str | None = Field(description="The page behind the number")


class BreakdownRowBody(Shape):
    segment: str
    href: str | None = Field(description="That segment's dashboard; null for the rows with no value (none)")
    values: dict[str, Number]


class BreakdownBody(Shape):
    dimension: str
    title: str
    columns: list[str]
    rows: list[BreakdownRowBody]


class ChartRowBody(Shape):
    category: str
    series: str
    value: int
    href: str | None


class ChartBody(Shape):
    name: str = Field(description="The chart's CSV: the page's address with ?format=csv&chart=NAME")
    title: str
    value_title: str
    rows: list[ChartRowBody]


class DashboardBody(Shape):
    kind: str = Field(description="overview, policy, market or queue")
    subject: str | None = Field(description="The policy, country or queue; null on the overview")
    title: str
    days: int
    since: datetime
    until: datetime
    previous_since: datetime
    figures: list[FigureBody]
    breakdowns: list[BreakdownBody]
    charts: list[ChartBody]
    generated_at: datetime
    notes: list[str]


@router.get(
    "/insight/dashboards/{kind}",
    summary="A dashboard: the enforcement-report set and operations health, with the previous window",
    response_model=DashboardBody,
)
def get_dashboard(
    kind: str,
    subject: str | None = Query(None, max_length=128, description="The policy, country or queue (not on overview)"),
    window: int = Query(DEFAULT_WINDOW, description="Days up to now: 7, 28 or 90"),
    principal: Principal = Depends(requires(Permission.INSIGHT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    from bastion.insight.dashboards.service import dashboard  # Ibis and pandas: loaded on first use

    found = dashboard(
        context.database,
        kind,
        subject,
        days=window,
        now=context.clock(),
        jobs_links=principal.can(Permission.REVIEW_SUPERVISE),
    )
    return json_response(DashboardBody.model_validate(found, from_attributes=True))
