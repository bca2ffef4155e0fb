"""Metrics over REST: `GET /api/v1/metrics`, the JSON twin of `bastion metrics --format json`."""

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

router = api_router("insight")


class MetricBody(Shape):
    name: str
    title: str
    description: str
    unit: str
    kind: str = Field(description="count (absent is 0), rate (a share, 0 to 1) or quantity")
    columns: list[str] = Field(description="The columns this metric adds to each row")
    dimensions: list[str] = Field(description="The segments it can be split by")
    grains: list[str] = Field(description="The time grains it supports (none: a count at one moment)")


class MetricsBody(Shape):
    metrics: list[MetricBody]
    by: list[str]
    grain: str | None
    since: datetime | None
    until: datetime | None
    columns: list[str] = Field(description="`period` (with a grain), the segments of `by`, then the metrics'")
    rows: list[dict[str, str | int | float | None]] = Field(
        description='One per segment; a segment without a value is "(none)"; a rate with nothing to measure is null'
    )


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get(
    "/metrics",
    summary="Named metrics (the enforcement-report set by default) by segment and time grain",
    response_model=MetricsBody,
)
def get_metrics(
    names: str | None = Query(
        None, max_length=1000, description="Metric names, comma-separated (default: the enforcement report)"
    ),
    by: str | None = Query(
        None, max_length=200, description="Segments, comma-separated: policy, country, language, surface, queue, vendor"
    ),
    grain: str | None = Query(None, max_length=16, description="hour, day, week or month"),
    since: datetime | None = Query(None, description="From this time (UTC when it names no zone)"),
    until: datetime | None = Query(None, description="Before this time (UTC when it names no zone)"),
    principal: Principal = Depends(requires(Permission.INSIGHT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    from bastion.insight.metrics.report import metrics_table  # pandas and Ibis: loaded on first use

    zone = context.clock().tzinfo
    since = since.replace(tzinfo=zone) if since is not None and since.tzinfo is None else since
    until = until.replace(tzinfo=zone) if until is not None and until.tzinfo is None else until
    found = metrics_table(context.database, _names(names), _names(by), grain or None, since, until)
    return json_response(MetricsBody.model_validate(found, from_attributes=True))
