"""Pages of the supervisor: the overview, and the jobs behind any of its numbers.

Routers only translate: the overview is `review.supervisor.overview` (JSON twin `GET
/api/v1/review/overview`), the listing `metrics.listing.list_jobs` (JSON twin `GET /api/v1/review/jobs`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.scorecards import accuracy_by_reviewer, reports_of
from bastion.review.config_store import current_review_config
from bastion.review.supervisor import DEFAULT_WINDOW, OverviewFilters, filter_options, overview
from bastion.review.supervisor_charts import supervisor_charts
from bastion.review.workload.listing import described, list_jobs, page_from
from bastion.review.workload.selection import AGE_BUCKETS, SLA_STATE_LABELS, STATUSES, selection_from
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_supervise = requires(Permission.REVIEW_SUPERVISE)
WINDOWS = {1: "last 24 hours", 7: "last 7 days", 28: "last 28 days"}
REFRESH_SECONDS = 60


@router.get("/review/supervisor")
def supervisor_page(
    request: Request,
    policy: str = Query("", max_length=128),
    language: str = Query("", max_length=16),
    vendor: str = Query("", max_length=128),
    window: int = Query(7),
    principal: Principal = Depends(can_supervise),
    context: AppContext = Depends(app_context),
) -> Response:
    days = window if window in WINDOWS else DEFAULT_WINDOW.days
    filters = OverviewFilters(policy or None, language or None, vendor or None)
    with context.database.transaction() as session:
        config = current_review_config(session).config
        data = overview(session, config, now=context.clock(), filters=filters, window=timedelta(days=days))
        options = filter_options(session, config)
    values: dict[str, Any] = {
        "title": "Supervisor",
        "data": data,
        "options": options,
        "policy_titles": dict(options.policies),
        "windows": WINDOWS,
        "window": days,
        "charts": supervisor_charts(data),
        "age_buckets": AGE_BUCKETS,
        "sla_labels": SLA_STATE_LABELS,
        "refresh_seconds": REFRESH_SECONDS,
        # Quality beside volume: decisions per reviewer alone rewards speed.
        "accuracy": accuracy_by_reviewer(
            reports_of(request.app.state, context.database, context.clock), data.window_start
        ),
        "can_read_quality": principal.can(Permission.QUALITY_READ),
    }
    return render_page(request, "review_supervisor.html", values)


@router.get("/review/supervisor/jobs")
def jobs_page(
    request: Request, principal: Principal = Depends(can_supervise), context: AppContext = Depends(app_context)
) -> Response:
    params = dict(request.query_params)
    with context.database.transaction() as session:
        config = current_review_config(session).config
        options = filter_options(session, config)
        values: dict[str, Any] = {
            "title": "Jobs",
            "options": options,
            "policy_titles": dict(options.policies),
            "queues": [(q.name, q.title) for q in config.queues],
            "statuses": list(STATUSES),
            "params": params,
            "listing": None,
            "errors": {},
        }
        try:
            selection = selection_from(params)
            page, size = page_from(params)
            values["listing"] = list_jobs(session, config, selection, now=context.clock(), page=page, page_size=size)
        except InvalidInput as error:
            values["errors"] = {e.path: e.message for e in error.errors}
            return render_page(request, "review_jobs.html", values, status_code=422)
    values["chips"] = described(selection)
    values["selection"] = selection
    return render_page(request, "review_jobs.html", values)
