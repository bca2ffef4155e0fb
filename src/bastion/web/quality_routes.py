"""Quality pages: the overview, a reviewer's scorecard (and one's own), a vendor's, and the policy
confusion view. They read the same report as `GET /api/v1/quality/report` (`QualityReports`, kept a
minute) and the same scorecards as `/api/v1/quality/reviewers/...` and `/api/v1/quality/vendors/...`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import InvalidInput, NotFound
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.calibration import (
    ExerciseSummary,
    add_note,
    answer_items,
    close_exercise,
    create_exercise,
    exercise_view,
    list_exercises,
)
from bastion.quality.charts import drift_chart, policy_charts
from bastion.quality.scorecards import (
    QualityReports,
    can_see_scorecard,
    parse_since,
    reports_of,
    scorecard_of,
    vendor_scorecard,
)
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.QUALITY_READ)
can_work = requires(Permission.REVIEW_WORK)
can_manage = requires(Permission.QUALITY_MANAGE)
anyone = requires()


@dataclass(frozen=True)
class Filters:
    since: datetime | None
    queue: str | None

    @property
    def active(self) -> bool:
        return self.since is not None or self.queue is not None

    @property
    def since_text(self) -> str:
        return self.since.date().isoformat() if self.since else ""

    @property
    def query(self) -> str:
        """`?since=...&queue=...` to carry the filters to the next page ("" without any)."""
        pairs = [(k, v) for k, v in (("since", self.since_text), ("queue", self.queue or "")) if v]
        return "?" + urlencode(pairs) if pairs else ""


def _filters(since: str, queue: str) -> Filters:
    return Filters(parse_since(since), queue or None)


def _reports(request: Request, context: AppContext) -> QualityReports:
    return reports_of(request.app.state, context.database, context.clock)


def _base(request: Request, context: AppContext, principal: Principal, filters: Filters) -> dict[str, Any]:
    reports = _reports(request, context)
    return {
        "filters": filters,
        "queues": sorted({str(q) for q in reports.ratings(None, None).column("queue").unique().to_pylist() if q}),
        "can_manage": principal.can(Permission.QUALITY_MANAGE),
        "can_read": principal.can(Permission.QUALITY_READ),
    }


@router.get("/quality")
def quality_page(
    request: Request,
    since: str = Query("", max_length=32),
    queue: str = Query("", max_length=64),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    filters = _filters(since, queue)
    report = _reports(request, context).report(filters.since, filters.queue)
    values = {"title": "Quality", "report": report, **_base(request, context, principal, filters)}
    return render_page(request, "quality.html", values)


@router.get("/quality/policies")
def policies_page(
    request: Request,
    since: str = Query("", max_length=32),
    queue: str = Query("", max_length=64),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    filters = _filters(since, queue)
    report = _reports(request, context).report(filters.since, filters.queue)
    values = {
        "title": "Policy confusion",
        "report": report,
        "charts": policy_charts(report),
        **_base(request, context, principal, filters),
    }
    return render_page(request, "quality_policies.html", values)


@router.get("/quality/me")
def my_scorecard_page(
    request: Request,
    since: str = Query("", max_length=32),
    queue: str = Query("", max_length=64),
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    return _reviewer_page(request, principal.display_name, since, queue, principal, context, own=True)


@router.get("/quality/reviewers/{name}")
def reviewer_page(
    request: Request,
    name: str,
    since: str = Query("", max_length=32),
    queue: str = Query("", max_length=64),
    principal: Principal = Depends(anyone),
    context: AppContext = Depends(app_context),
) -> Response:
    can_see_scorecard(principal, name[:128])
    return _reviewer_page(request, name[:128], since, queue, principal, context, own=False)


def _reviewer_page(
    request: Request,
    name: str,
    since: str,
    queue: str,
    principal: Principal,
    context: AppContext,
    *,
    own: bool,
) -> Response:
    filters = _filters(since, queue)
    reports = _reports(request, context)
    values: dict[str, Any] = {"title": f"Reviewer {name}", "name": name, "own": own}
    values.update(_base(request, context, principal, filters))
    try:
        card = scorecard_of(reports, context.database, name, filters.since, filters.queue)
    except NotFound:
        if not own:
            raise
        values.update(card=None, report=reports.report(filters.since, filters.queue), drift_chart=None)
        return render_page(request, "quality_reviewer.html", values)
    values.update(card=card, drift_chart=drift_chart(card.drift, card.thresholds.accuracy))
    return render_page(request, "quality_reviewer.html", values)


@router.get("/quality/vendors/{name}")
def vendor_page(
    request: Request,
    name: str,
    since: str = Query("", max_length=32),
    queue: str = Query("", max_length=64),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    filters = _filters(since, queue)
    reports = _reports(request, context)
    report = reports.report(filters.since, filters.queue)
    card = vendor_scorecard(report, name[:128], reports.drift(filters.since, filters.queue, vendor=name[:128]))
    values = {
        "title": f"Vendor {card.vendor.key}",
        "card": card,
        "report": report,
        "drift_chart": drift_chart(card.drift, card.thresholds.accuracy),
        **_base(request, context, principal, filters),
    }
    return render_page(request, "quality_vendor.html", values)


# --- calibration exercises --------------------------------------------------------------------------


@router.get("/quality/calibration")
def calibration_list_page(
    request: Request, principal: Principal = Depends(anyone), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        exercises = list_exercises(session, principal)
    return _calibration_list(request, principal, exercises, {}, {})


def _calibration_list(
    request: Request,
    principal: Principal,
    exercises: list[ExerciseSummary],
    errors: dict[str, str],
    entered: dict[str, str],
    status_code: int = 200,
) -> Response:
    values = {
        "title": "Calibration",
        "exercises": exercises,
        "can_manage": principal.can(Permission.QUALITY_MANAGE),
        "can_read": principal.can(Permission.QUALITY_READ),
        "errors": errors,
        "entered": entered,
    }
    return render_page(request, "quality_calibration_list.html", values, status_code=status_code)


@router.post("/quality/calibration")
async def calibration_create(
    request: Request, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    content_ids = [line.strip() for line in form.get("content_ids", "").splitlines() if line.strip()]
    size = form.get("sample_size", "20").strip() or "20"
    try:
        with context.database.transaction() as session:
            pk = create_exercise(
                session,
                name=form.get("name", "")[:200],
                group=form.get("group", "")[:200],
                content_ids=content_ids[:1000],
                sample_queue=form.get("sample_queue", "").strip()[:64] or None,
                sample_size=int(size) if size.isdigit() else 0,
                rng=random.Random(),
                now=context.clock(),
                by=principal.name,
            )
    except InvalidInput as error:
        with context.database.transaction() as session:
            exercises = list_exercises(session, principal)
        problems = {e.path.split("[")[0]: e.message for e in error.errors}
        return _calibration_list(request, principal, exercises, problems, form, status_code=422)
    return RedirectResponse(f"/quality/calibration/{pk}", status_code=303)


@router.get("/quality/calibration/{exercise_id}")
def calibration_page(
    request: Request,
    exercise_id: int,
    principal: Principal = Depends(anyone),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        view = exercise_view(session, exercise_id, principal)
    values = {
        "title": f"Calibration: {view.exercise.name}",
        "view": view,
        "can_manage": principal.can(Permission.QUALITY_MANAGE),
        "can_read": principal.can(Permission.QUALITY_READ),
        "saved": request.query_params.get("saved") == "1",
    }
    return render_page(request, "quality_calibration.html", values)


@router.post("/quality/calibration/{exercise_id}/answers")
async def calibration_answer(
    request: Request,
    exercise_id: int,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    form = await request.form()
    answers = {
        int(key.removeprefix("item-")): value
        for key, value in form.items()
        if key.startswith("item-") and key.removeprefix("item-").isdigit() and isinstance(value, str) and value
    }
    with context.database.transaction() as session:
        answer_items(session, exercise_id, principal, answers, now=context.clock())
    return RedirectResponse(f"/quality/calibration/{exercise_id}?saved=1", status_code=303)


@router.post("/quality/calibration/{exercise_id}/notes")
async def calibration_note(
    request: Request,
    exercise_id: int,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    form = await request.form()
    text, position = form.get("text"), form.get("position")
    where = int(position) if isinstance(position, str) and position.isdigit() else None
    with context.database.transaction() as session:
        add_note(
            session,
            exercise_id,
            text if isinstance(text, str) else "",
            position=where,
            now=context.clock(),
            by=principal.name,
        )
    return RedirectResponse(f"/quality/calibration/{exercise_id}#{'item-' + str(where) if where else 'notes'}", 303)


@router.post("/quality/calibration/{exercise_id}/close")
def calibration_close(
    exercise_id: int, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        close_exercise(session, exercise_id, now=context.clock(), by=principal.name)
    return RedirectResponse(f"/quality/calibration/{exercise_id}", status_code=303)
