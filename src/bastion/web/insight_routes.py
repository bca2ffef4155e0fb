"""Insight dashboards as pages: the overview and one per policy, market and queue, each chart's data as
CSV (`?format=csv&chart=NAME`). Routers only translate `insight.dashboards.dashboard`; the JSON twin is
`GET /api/v1/insight/dashboards/{kind}` (api/routes/dashboards.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.dashboards.model import DEFAULT_WINDOW, SEGMENT_KINDS, WINDOWS
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INSIGHT_READ)


def _page(
    request: Request,
    kind: str,
    subject: str | None,
    window: int,
    output: str,
    chart: str,
    principal: Principal,
    context: AppContext,
) -> Response:
    from bastion.insight.dashboards.charts import as_csv, drawn  # Ibis, pandas, altair: loaded on first use
    from bastion.insight.dashboards.service import dashboard
    from bastion.insight.metrics import METRICS

    found = dashboard(
        context.database,
        kind,
        subject,
        days=window,
        now=context.clock(),
        jobs_links=principal.can(Permission.REVIEW_SUPERVISE),
    )
    if output not in ("html", "csv"):
        raise InvalidInput("no such format", [FieldError("format", f"{output!r}: html or csv")])
    if output == "csv":
        data = found.chart(chart)
        name = f"{found.kind}-{data.name}-{found.days}d.csv"
        return Response(
            as_csv(data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    values: dict[str, Any] = {
        "title": f"Insight · {found.title}",
        "board": found,
        "drawn": {c.name: drawn(c) for c in found.charts},
        "windows": WINDOWS,
        "metrics": METRICS,
        "segment_kinds": SEGMENT_KINDS,
        "base": request.url.path,
    }
    return render_page(request, "insight_dashboard.html", values)


@router.get("/insight")
def overview_page(
    request: Request,
    window: int = Query(DEFAULT_WINDOW),
    format: str = Query("html", max_length=8),
    chart: str = Query("daily", max_length=32),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _page(request, "overview", None, window, format, chart, principal, context)


def _segment_route(kind: str, path: str) -> None:
    def segment_page(
        request: Request,
        subject: str,
        window: int = Query(DEFAULT_WINDOW),
        format: str = Query("html", max_length=8),
        chart: str = Query("daily", max_length=32),
        principal: Principal = Depends(can_read),
        context: AppContext = Depends(app_context),
    ) -> Response:
        return _page(request, kind, subject, window, format, chart, principal, context)

    segment_page.__name__ = f"{kind}_page"
    router.add_api_route(path, segment_page, methods=["GET"])


for _kind in ("policy", "market", "queue"):
    _segment_route(_kind, f"/insight/{_kind}/{{subject}}")
