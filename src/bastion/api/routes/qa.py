"""QA sampling plans over REST: read them (quality.read); put a queue's plan in force (quality.manage);
preview what a plan would pull per day from the queue's recent decisions (quality.read)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.qa import MAX_PREVIEW_DAYS, get_plan, list_plans, preview_plan, set_plan
from bastion.quality.sampling import STRATA, TARGETS

router = api_router("quality")
can_read = requires(Permission.QUALITY_READ)
can_manage = requires(Permission.QUALITY_MANAGE)
QUEUE = Path(description="The queue whose decisions the plan samples", max_length=64)


class PlanBody(BaseModel):
    """A queue's QA plan as written: rates from 0 to 1."""

    model_config = ConfigDict(extra="forbid")

    qa_queue: str = Field("qa", description="The QA queue (kind `qa`) where sampled decisions are re-reviewed blind")
    rate: float = Field(description="The base random rate, 0 to 1")
    strata: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=f'Rates of strata, by {", ".join(STRATA)}: e.g. `{{"policy_family": {{"hate_speech": 0.2}}}}`',
    )
    targets: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=f"Targets ({', '.join(TARGETS)}), each a `rate` and a bar: `low_confidence.below` (0-1), "
        "`new_reviewer.fewer_than` (decisions), `high_severity.at_least` (1-4); `overturned` has no bar",
    )
    active: bool = True

    def document(self, queue: str) -> dict[str, Any]:
        return {"queue": queue, **self.model_dump()}


class Plan(BaseModel):
    queue: str
    version: int = Field(description="Each change adds a version; the newest is in force")
    qa_queue: str
    rate: float
    strata: dict[str, dict[str, float]]
    targets: dict[str, dict[str, float]]
    active: bool
    created_at: datetime
    created_by: str
    samples: int = Field(description="Decisions this queue's plans have sampled so far")
    open_qa_jobs: int = Field(description="Of their QA jobs, those not yet decided")


class PreviewDay(BaseModel):
    day: date
    decisions: int
    sampled: int
    by_reason: dict[str, int]


class Preview(BaseModel):
    queue: str
    decisions: int = Field(description="The queue's decisions in the window (QA, appeal and golden jobs left out)")
    sampled: int
    per_day: float = Field(description="Items sampled per day, averaged over the window")
    by_reason: dict[str, int] = Field(description="Items sampled, by the reason recorded (one per decision)")
    days: list[PreviewDay]


@router.get("/quality/plans", summary="Every queue's QA plan in force", response_model=list[Plan])
def get_qa_plans(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        return json_response([Plan.model_validate(asdict(view)) for view in list_plans(session)], list[Plan])


@router.get("/quality/plans/{queue}", summary="A queue's QA plan in force", response_model=Plan, responses=errors(404))
def get_qa_plan(
    queue: str = QUEUE, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(Plan.model_validate(asdict(get_plan(session, queue))))


@router.put(
    "/quality/plans/{queue}",
    summary="Put a queue's QA plan in force (a new version; the same plan again changes nothing)",
    response_model=Plan,
    responses=errors(400, 422),
)
def put_qa_plan(
    body: PlanBody,
    queue: str = QUEUE,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    """Recorded in the audit log as `qa_plan.set`."""
    with context.database.transaction() as session:
        view = set_plan(session, body.document(queue), principal=principal.name, now=context.clock())
        return json_response(Plan.model_validate(asdict(view)))


@router.post(
    "/quality/plans/{queue}/preview",
    summary="How many items per day a plan would pull from the queue's recent decisions, by reason",
    response_model=Preview,
    responses=errors(400, 422),
)
def preview_qa_plan(
    body: PlanBody,
    queue: str = QUEUE,
    days: int = Query(14, ge=1, le=MAX_PREVIEW_DAYS, description="The window: the last N days, today included"),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    """Changes nothing: the plan in the body is only tried."""
    with context.database.transaction() as session:
        result = preview_plan(session, body.document(queue), days=days, now=context.clock())
        return json_response(Preview.model_validate(asdict(result)))
