"""Prevalence rounds over REST: list and read them and their estimates (insight.read); start one
(insight.manage)."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date, datetime

from fastapi import Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.prevalence.design import Allocation
from bastion.insight.prevalence.report import RoundEstimate, round_estimate
from bastion.insight.prevalence.rounds import (
    DEFAULT_QUEUE,
    MAX_SIZE,
    RoundView,
    list_rounds,
    period_of,
    round_status,
    start_round,
)

router = api_router("insight")
can_read = requires(Permission.INSIGHT_READ)
can_manage = requires(Permission.INSIGHT_MANAGE)
ROUND = Path(description="The round's name, e.g. `2026-11-01-to-2026-11-07`", max_length=128)


class RoundBody(BaseModel):
    """A round to start: the days whose views are sampled, how many views, and for which policy."""

    model_config = ConfigDict(extra="forbid")

    period_start: date = Field(description="First day of views (UTC)")
    period_end: date = Field(description="Last day of views, included")
    size: int = Field(description=f"Views to draw, 1 to {MAX_SIZE:,}; an item drawn twice is labelled once")
    policy: str | None = Field(None, description="Stratify by this policy's models; estimate it and those below it")
    allocation: Allocation = Allocation.NEYMAN
    queue: str = Field(DEFAULT_QUEUE, description="The labelling queue (kind `prevalence`)")
    seed: int | None = Field(None, ge=0, description="Seed of the draw, to draw it again; random when absent")


class RoundStratum(BaseModel):
    name: str
    low: float | None = Field(description="Scores from (None: the items no model scored)")
    high: float | None
    views: int
    impressions: int
    mean_score: float | None
    sample: int = Field(description="Views drawn in this stratum")


class Round(BaseModel):
    name: str
    period_start: datetime
    period_end: datetime = Field(description="Views before this moment")
    size: int
    policy: str | None
    allocation: str
    queue: str
    status: str = Field(description="`labelling` until every item is labelled, then `done`")
    items: int = Field(description="Distinct items drawn: one labelling job each")
    labelled: int
    strata: list[RoundStratum]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, view: RoundView) -> Round:
        return cls.model_validate(asdict(view))


class PolicyEstimate(BaseModel):
    policy: str
    title: str
    shown: str = Field(description="As a report words it: `0.52% (0.31%-0.80%)`, or `at most 0.10%`")
    prevalence: float = Field(description="The design-based estimate: share of the period's impressions")
    low: float
    high: float
    upper_limit: bool = Field(description="Too few violations found to estimate: prevalence is at most `high`")
    standard_error: float
    draws: int
    violating: int = Field(description="Draws labelled violating the policy or one below it")
    confidence: float
    method: str


class Estimate(BaseModel):
    round: str
    period_start: datetime
    period_end: datetime
    draws: int
    items: int
    policies: list[PolicyEstimate]

    @classmethod
    def of(cls, result: RoundEstimate) -> Estimate:
        policies = [
            PolicyEstimate.model_validate({"policy": p.policy, "title": p.title, "shown": p.shown} | asdict(p.estimate))
            for p in result.policies
        ]
        return cls(
            round=result.name,
            period_start=result.period_start,
            period_end=result.period_end,
            draws=result.draws,
            items=result.items,
            policies=policies,
        )


@router.get("/prevalence/rounds", summary="Every prevalence round, newest first", response_model=list[Round])
def get_prevalence_rounds(
    principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response([Round.of(view) for view in list_rounds(session)], list[Round])


@router.post(
    "/prevalence/rounds",
    summary="Start a prevalence round: draw its views and open their labelling jobs",
    response_model=Round,
    responses=errors(409),
)
def start_prevalence_round(
    body: RoundBody, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `prevalence.start`."""
    start, end = period_of(body.period_start, body.period_end)
    with context.database.transaction() as session:
        view = start_round(
            session,
            period_start=start,
            period_end=end,
            size=body.size,
            policy=body.policy,
            allocation=body.allocation,
            queue=body.queue,
            seed=secrets.randbits(32) if body.seed is None else body.seed,
            principal=principal.name,
            now=context.clock(),
        )
        return json_response(Round.of(view))


@router.get(
    "/prevalence/rounds/{name}",
    summary="A prevalence round and its labelling progress",
    response_model=Round,
    responses=errors(404),
)
def get_prevalence_round(
    name: str = ROUND, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(Round.of(round_status(session, name)))


@router.get(
    "/prevalence/rounds/{name}/estimate",
    summary="A labelled round's prevalence per policy, with its 95 % interval or upper limit",
    response_model=Estimate,
    responses=errors(404, 409),
)
def get_prevalence_estimate(
    name: str = ROUND, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    """409 while the round is still labelling."""
    with context.database.transaction() as session:
        return json_response(Estimate.of(round_estimate(session, name)))
