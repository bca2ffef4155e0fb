"""Recommendations over REST: the JSON twin of `bastion recommend --format json`, and acting on one."""

from __future__ import annotations

import random
from typing import Any

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import Field

from bastion.api.contract import Shape, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.recommend.model import DEFAULT_DAYS, MAX_DAYS, as_json
from bastion.insight.recommend.service import act, recommendations

router = api_router("insight")


class PointBody(Shape):
    label: str
    value: float


class EvidenceBody(Shape):
    figures: dict[str, float | int | str] = Field(description="The numbers behind it, by name")
    examples: list[str] = Field(description="A few ids: decisions, jobs, accounts or content")
    series_title: str
    series: list[PointBody] = Field(description="A small series for its chart")


class ActionBody(Shape):
    kind: str = Field(description="`draft_bank_entry`, `shadow_rule` or `calibration_exercise`")
    label: str
    params: dict[str, Any]


class ActedBody(Shape):
    by: str
    at: str
    result: dict[str, Any] = Field(description="What acting made: the bank version, the rule, the exercise")


class RecommendationBody(Shape):
    rank: int
    key: str = Field(description="Stable for the same kind and subject: acting on it is remembered by it")
    kind: str = Field(
        description="staff_queue, calibrate_reviewer, calibrate_vendor, clarify_policy, "
        "investigate_reporting, rule_threshold, add_term, investigate_spike"
    )
    title: str
    subject: str
    impact: float = Field(description="The expected effect in items per week (see docs/insight.md)")
    impact_unit: str
    expected_effect: str
    evidence: EvidenceBody
    action: ActionBody | None = Field(description="What the button does; none when it asks a person to look")
    acted: ActedBody | None


class RecommendationsBody(Shape):
    recommendations: list[RecommendationBody]


@router.get(
    "/recommendations",
    summary="The ranked recommendations of the last days, with their evidence",
    response_model=RecommendationsBody,
)
def list_recommendations(
    days: int = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="The window: this many days up to now"),
    principal: Principal = Depends(requires(Permission.INSIGHT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    found = recommendations(context.database, now=context.clock(), days=days)
    return json_response(RecommendationsBody.model_validate({"recommendations": [as_json(r) for r in found]}))


@router.post(
    "/recommendations/{key}/act",
    summary="Carry out a recommendation (a draft bank entry, a rule change in shadow, a calibration exercise)",
    response_model=RecommendationBody,
    responses=errors(404, 409),
)
def act_on_recommendation(
    key: str = Path(..., max_length=255, description="The recommendation's key"),
    days: int = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="The window it was found in"),
    principal: Principal = Depends(requires(Permission.INSIGHT_MANAGE)),
    context: AppContext = Depends(app_context),
) -> Response:
    done = act(context.database, key, principal=principal.name, now=context.clock(), rng=random.Random(), days=days)
    return json_response(RecommendationBody.model_validate(as_json(done)))
