"""JSON twins of the supervisor view, of the jobs behind its numbers, and of a reviewer's wellness preferences."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, Strict

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.review.config_store import current_review_config
from bastion.review.preferences import Preferences, preferences_of, save_preferences
from bastion.review.supervisor import Overview, OverviewFilters, overview
from bastion.review.workload.listing import MAX_PAGE_SIZE, PAGE_SIZE, ListedJob, list_jobs
from bastion.review.workload.selection import selection_from

router = api_router("review", "/api/v1/review")
StrictFlag = Annotated[bool, Strict()] | None


class PreferencesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    blur_images: StrictFlag = Field(None, description="Blur images until revealed; null: as each queue says")
    greyscale_images: StrictFlag = Field(None, description="Show images in greyscale; null: as each queue says")


@router.get(
    "/overview", summary="Backlog, age, SLA attainment and reviewer activity per queue", response_model=Overview
)
def get_overview(
    policy: str | None = Query(None, max_length=128, description="A policy id; its children are included"),
    language: str | None = Query(None, max_length=16),
    vendor: str | None = Query(None, max_length=128, description="That vendor's queues and people only"),
    window_days: float = Query(
        7, gt=0, le=366, allow_inf_nan=False, description="How far back SLA attainment and decisions count"
    ),
    principal: Principal = Depends(requires(Permission.REVIEW_SUPERVISE)),
    context: AppContext = Depends(app_context),
) -> Response:
    filters = OverviewFilters(policy or None, language or None, vendor or None)
    with context.database.transaction() as session:
        config = current_review_config(session).config
        data = overview(session, config, now=context.clock(), filters=filters, window=timedelta(days=window_days))
        return json_response(data)


@router.get("/preferences", summary="Your wellness preferences", response_model=PreferencesBody)
def get_preferences(
    principal: Principal = Depends(requires(Permission.REVIEW_WORK)), context: AppContext = Depends(app_context)
) -> PreferencesBody:
    with context.database.transaction() as session:
        chosen = preferences_of(session, principal)
    return PreferencesBody.model_validate(asdict(chosen))


@router.put(
    "/preferences",
    summary="Set your wellness preferences",
    response_model=PreferencesBody,
    responses=errors(400),
)
def put_preferences(
    body: PreferencesBody,
    principal: Principal = Depends(requires(Permission.REVIEW_WORK)),
    context: AppContext = Depends(app_context),
) -> PreferencesBody:
    chosen = Preferences(blur_images=body.blur_images, greyscale_images=body.greyscale_images)
    with context.database.transaction() as session:
        save_preferences(session, principal, chosen, now=context.clock())
    return PreferencesBody.model_validate(asdict(chosen))


class JobListingBody(BaseModel):
    selection: dict[str, str] = Field(description="The filters in force, as query parameters")
    total: int = Field(description="Jobs in the whole selection")
    page: int
    page_size: int
    pages: int
    jobs: list[ListedJob] = Field(
        description="Nearest deadline first. `overdue`: not yet decided and past its deadline, or decided "
        "after it; `holder`: who holds the lease or has the job on hold"
    )


@router.get(
    "/jobs", summary="The jobs behind a number of the overview, nearest deadline first", response_model=JobListingBody
)
def get_jobs(
    queue: str | None = Query(None, description="A queue name"),
    status: str | None = Query(
        None, description="backlog (open, claimed or held), open, claimed, held, decided, cancelled"
    ),
    policy: str | None = Query(None, description="A policy id; its children are included"),
    language: str | None = Query(None),
    vendor: str | None = Query(None, description="That vendor's queues; decided jobs: decided by its people"),
    overdue: str | None = Query(None, description="1: past the SLA deadline now"),
    sla: str | None = Query(None, description="on_track, due_soon or overdue"),
    age: str | None = Query(None, description="1h, 24h, 48h or older: the age bucket"),
    created_from: str | None = Query(None, description="Opened at or after (ISO 8601)"),
    created_to: str | None = Query(None, description="Opened before (ISO 8601)"),
    decided_from: str | None = Query(None, description="Decided at or after (ISO 8601)"),
    decided_to: str | None = Query(None, description="Decided before (ISO 8601)"),
    in_sla: str | None = Query(None, description="1: decided by the deadline; 0: after it"),
    decision_from: str | None = Query(None, description="With a decision made at or after (ISO 8601)"),
    decision_to: str | None = Query(None, description="With a decision made before (ISO 8601)"),
    reviewer: str | None = Query(None, description="With a decision by this reviewer"),
    harm_type: str | None = Query(None, description="With a decision of this harm type"),
    unreachable: str | None = Query(None, description="1: open jobs no eligible reviewer can take"),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    principal: Principal = Depends(requires(Permission.REVIEW_SUPERVISE)),
    context: AppContext = Depends(app_context),
) -> Response:
    params = {
        "queue": queue,
        "status": status,
        "policy": policy,
        "language": language,
        "vendor": vendor,
        "overdue": overdue,
        "sla": sla,
        "age": age,
        "created_from": created_from,
        "created_to": created_to,
        "decided_from": decided_from,
        "decided_to": decided_to,
        "in_sla": in_sla,
        "decision_from": decision_from,
        "decision_to": decision_to,
        "reviewer": reviewer,
        "harm_type": harm_type,
        "unreachable": unreachable,
    }
    selection = selection_from(params)
    with context.database.transaction() as session:
        config = current_review_config(session).config
        listing = list_jobs(session, config, selection, now=context.clock(), page=page, page_size=page_size)
        body = JobListingBody(
            selection=selection.query(),
            total=listing.total,
            page=listing.page,
            page_size=listing.page_size,
            pages=listing.pages,
            jobs=listing.jobs,
        )
        return json_response(body)
