"""Golden sets over REST: the sets and each reviewer's golden score (quality.read); adding, promoting and
retiring items and serving golden jobs now (quality.manage). The service audits every change."""

from __future__ import annotations

import random
from typing import Annotated

from fastapi import Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.quality.golden import (
    MAX_PER_DAY,
    GoldenEntry,
    GoldenItemView,
    GoldenSetDetail,
    GoldenSetSummary,
    add_items,
    golden_set,
    golden_sets,
    promote,
    retire,
)
from bastion.quality.golden_serving import serve_golden_jobs

router = api_router("quality")
can_read = requires(Permission.QUALITY_READ)
can_manage = requires(Permission.QUALITY_MANAGE)
SetName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Share = Annotated[float, Field(ge=0, le=1, description="Golden jobs per real job opened in the queue")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldenItemIn(Body):
    content_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    answer: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description='The right decision: a policy id, or "none" for no violation'
    )
    rationale: Annotated[str, StringConstraints(max_length=5_000)] = Field(description="Why it is the right answer")
    queue: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The queue its golden jobs are served in"
    )


class GoldenItemsIn(Body):
    items: list[GoldenItemIn] = Field(min_length=1, max_length=1_000)
    share: Share | None = None
    per_day: int | None = Field(
        default=None, ge=0, le=MAX_PER_DAY, description="Golden jobs a day in each queue, on top of the share"
    )


class PromoteIn(Body):
    decision_id: RowId = Field(description="A final decision a QA re-review or an upheld appeal confirmed")
    rationale: Annotated[str, StringConstraints(max_length=5_000)] = ""


class ItemsAdded(BaseModel):
    golden_set: str
    added: int


class GoldenServed(BaseModel):
    opened: int = Field(description="Golden jobs opened now")


@router.get(
    "/golden-sets", summary="Golden sets, with their items, jobs and score", response_model=list[GoldenSetSummary]
)
def list_golden_sets(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        return json_response(golden_sets(session), list[GoldenSetSummary])


@router.get(
    "/golden-sets/{name}",
    summary="A golden set: its items with their answers, and each reviewer's golden decisions",
    response_model=GoldenSetDetail,
    responses=errors(404),
)
def get_golden_set(
    name: SetName, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(golden_set(session, name), GoldenSetDetail)


@router.post(
    "/golden-sets/{name}/items",
    summary="Add items with their answers (the set is created if new); all or nothing",
    response_model=ItemsAdded,
    responses=errors(400),
)
def add_golden_items(
    name: SetName,
    body: GoldenItemsIn,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    entries = [GoldenEntry(i.content_id, i.answer, i.rationale, i.queue) for i in body.items]
    with context.database.transaction() as session:
        added = add_items(
            session,
            name,
            entries,
            share=body.share,
            per_day=body.per_day,
            now=context.clock(),
            principal=principal.name,
        )
        return json_response(ItemsAdded(golden_set=name, added=len(added)))


@router.post(
    "/golden-sets/{name}/promote",
    summary="Make a golden item of a decision a QA re-review or an upheld appeal confirmed",
    response_model=ItemsAdded,
    responses=errors(400, 404, 409),
)
def promote_decision(
    name: SetName,
    body: PromoteIn,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        promote(
            session, name, body.decision_id, rationale=body.rationale, now=context.clock(), principal=principal.name
        )
        return json_response(ItemsAdded(golden_set=name, added=1))


@router.post(
    "/golden-sets/{name}/items/{content_id}/retire",
    summary="Stop serving an item; its past golden decisions keep their score",
    response_model=GoldenItemView,
    responses=errors(404, 409),
)
def retire_golden_item(
    name: SetName,
    content_id: Annotated[str, StringConstraints(min_length=1, max_length=256)],
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        retire(session, name, content_id, now=context.clock(), principal=principal.name)
        detail = golden_set(session, name)
        (item,) = [i for i in detail.items if i.content_id == content_id]
        return json_response(item, GoldenItemView)


@router.post(
    "/golden-serving",
    summary="Open the golden jobs due now in every queue (the serving step, run at once)",
    response_model=GoldenServed,
)
def serve_now(principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        opened = serve_golden_jobs(session, now=context.clock(), rng=random.SystemRandom(), principal=principal.name)
        return json_response(GoldenServed(opened=len(opened)))
