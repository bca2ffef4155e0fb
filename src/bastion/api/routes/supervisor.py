"""JSON twins of the supervisor view and of a reviewer's wellness preferences."""

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
