"""Pages of detection: the rules with their performance, and one rule's page.

Routers only translate: the figures are `detect.performance` (JSON twins `GET /api/v1/detect/performance`
and `GET /api/v1/detect/performance/{name}`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from bastion.auth.principal import Principal
from bastion.charts import Bar, grouped_columns, sparkline
from bastion.detect.performance import detection_overview, recent_hits, rule_page
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.DETECTION_READ)


@router.get("/detect")
def detection_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    from bastion.detect.rule_store import rules_in_force

    with context.database.transaction() as session:
        data = detection_overview(session, rules_in_force(session), now=context.clock())
    lines = {
        r.name: sparkline([d.hits for d in r.daily], label=f"{r.hits_in_window} hits in {data.window_days} days")
        for r in data.rules
    }
    values: dict[str, Any] = {"title": "Detection", "data": data, "lines": lines}
    return render_page(request, "detect_overview.html", values)


@router.get("/detect/rules/{name}")
def rule_detail_page(
    request: Request,
    name: str = Path(max_length=128),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        page = rule_page(session, name, now=context.clock())
        hits = recent_hits(session, name)
    chart = grouped_columns(
        [Bar(d.day.strftime("%d %b"), d.hits, "hits", unit="hits") for d in page.figures.daily],
        value_title="hits",
        series=["hits"],
        colours=["#2455c3"],
        width=900,
    )
    values: dict[str, Any] = {"title": f"Rule {name}", "page": page, "hits": hits, "chart": chart}
    return render_page(request, "detect_rule.html", values)
