"""JSON twins of the detection pages: the rules with their performance, and one rule's figures and hits."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Path
from fastapi.responses import Response

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.detect.performance import (
    DetectionOverview,
    HitRow,
    RuleFigures,
    detection_overview,
    recent_hits,
    rule_page,
)
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires

router = api_router("detection", "/api/v1/detect")
can_read = requires(Permission.DETECTION_READ)


@dataclass(frozen=True)
class RulePerformance:
    figures: RuleFigures
    hits: list[HitRow]


@router.get(
    "/performance",
    summary="Every rule in force with its hits, precision, actioned share and appeal overturns",
    response_model=DetectionOverview,
)
def get_performance(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    from bastion.detect.rule_store import rules_in_force

    with context.database.transaction() as session:
        return json_response(detection_overview(session, rules_in_force(session), now=context.clock()))


@router.get(
    "/performance/{name}",
    summary="One rule's figures and its latest 100 hits with what review found",
    response_model=RulePerformance,
    responses=errors(404),
)
def get_rule_performance(
    name: str = Path(max_length=128),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        page = rule_page(session, name, now=context.clock())
        return json_response(RulePerformance(page.figures, recent_hits(session, name)))
