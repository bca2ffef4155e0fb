"""Scorecards and calibration over REST: the JSON twins of the quality pages' scorecards (a reviewer's,
one's own, a vendor's), and calibration exercises (create, list, show, answer, note, close)."""

from __future__ import annotations

import random
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.calibration import (
    ExerciseSummary,
    ExerciseView,
    add_note,
    answer_items,
    close_exercise,
    create_exercise,
    exercise_view,
    list_exercises,
)
from bastion.quality.scorecards import (
    ReviewerScorecard,
    VendorScorecard,
    can_see_scorecard,
    parse_since,
    reports_of,
    scorecard_of,
    vendor_scorecard,
)

router = api_router("calibration")
can_read = requires(Permission.QUALITY_READ)
can_manage = requires(Permission.QUALITY_MANAGE)
can_work = requires(Permission.REVIEW_WORK)
anyone = requires()
Name = Annotated[str, Path(max_length=128)]
Since = Query("", max_length=32, description="Only decisions from this day (2026-11-30) or moment on")
QueueFilter = Query("", max_length=64, description="Only decisions in this queue")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewExercise(Body):
    name: Annotated[str, StringConstraints(max_length=128)]
    group: Annotated[str, StringConstraints(max_length=128)] = Field(
        description="Who takes part: `queue:NAME` (its reviewers), `vendor:NAME` or `users:NAME,NAME`"
    )
    content_ids: list[Annotated[str, StringConstraints(max_length=256)]] = Field(
        default_factory=list, max_length=200, description="The items, by the platform's content ids"
    )
    sample_queue: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="Or: sample this queue's recently decided items"
    )
    sample_size: int = Field(20, ge=1, le=200)


class Answers(Body):
    answers: dict[int, Annotated[str, StringConstraints(max_length=128)]] = Field(
        description="Item position: a policy id or `none`"
    )
    rationale: Annotated[str, StringConstraints(max_length=2000)] = ""


class NewNote(Body):
    text: Annotated[str, StringConstraints(max_length=10_000)]
    position: int | None = Field(None, description="The item it is about; none: the whole exercise")


@router.get(
    "/quality/reviewers/{name}",
    summary="A reviewer's scorecard: accuracy with its interval, per policy, per week, disagreements",
    response_model=ReviewerScorecard,
    responses=errors(404),
)
def get_reviewer_scorecard(
    request: Request,
    name: Name,
    since: str = Since,
    queue: str = QueueFilter,
    principal: Principal = Depends(anyone),
    context: AppContext = Depends(app_context),
) -> Response:
    can_see_scorecard(principal, name)
    reports = reports_of(request.app.state, context.database, context.clock)
    card = scorecard_of(reports, context.database, name, parse_since(since), queue or None)
    return json_response(card)


@router.get(
    "/quality/me",
    summary="One's own scorecard (404 while none of one's decisions is scored)",
    response_model=ReviewerScorecard,
    responses=errors(404),
)
def get_my_scorecard(
    request: Request,
    since: str = Since,
    queue: str = QueueFilter,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    reports = reports_of(request.app.state, context.database, context.clock)
    card = scorecard_of(reports, context.database, principal.display_name, parse_since(since), queue or None)
    return json_response(card)


@router.get(
    "/quality/vendors/{name}",
    summary="A vendor's scorecard: its accuracy, its reviewers, per policy, per week",
    response_model=VendorScorecard,
    responses=errors(404),
)
def get_vendor_scorecard(
    request: Request,
    name: Name,
    since: str = Since,
    queue: str = QueueFilter,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    reports = reports_of(request.app.state, context.database, context.clock)
    when, where = parse_since(since), queue or None
    card = vendor_scorecard(reports.report(when, where), name, reports.drift(when, where, vendor=name))
    return json_response(card)


@router.post(
    "/quality/calibration",
    summary="Create a calibration exercise; answers with the new exercise",
    response_model=ExerciseView,
)
def post_exercise(
    body: NewExercise, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        pk = create_exercise(
            session,
            name=body.name,
            group=body.group,
            content_ids=body.content_ids,
            sample_queue=body.sample_queue,
            sample_size=body.sample_size,
            rng=random.Random(),
            now=context.clock(),
            by=principal.name,
        )
        return json_response(exercise_view(session, pk, principal))


@router.get(
    "/quality/calibration",
    summary="Calibration exercises: all of them for quality readers, one's own for a reviewer",
    response_model=list[ExerciseSummary],
)
def get_exercises(principal: Principal = Depends(anyone), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        return json_response(list_exercises(session, principal), list[ExerciseSummary])


@router.get(
    "/quality/calibration/{exercise_id}",
    summary="A calibration exercise: its items, one's answers, and once closed everyone's with their agreement",
    response_model=ExerciseView,
    responses=errors(404),
)
def get_exercise(
    exercise_id: int, principal: Principal = Depends(anyone), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(exercise_view(session, exercise_id, principal))


@router.post(
    "/quality/calibration/{exercise_id}/answers",
    summary="Answer items of an open exercise (a member of its group)",
    response_model=ExerciseView,
    responses=errors(404, 409),
)
def post_answers(
    exercise_id: int,
    body: Answers,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        answer_items(session, exercise_id, principal, body.answers, rationale=body.rationale, now=context.clock())
        return json_response(exercise_view(session, exercise_id, principal))


@router.post(
    "/quality/calibration/{exercise_id}/notes",
    summary="Record the discussion: a note on an item or on the whole exercise",
    response_model=ExerciseView,
    responses=errors(404),
)
def post_note(
    exercise_id: int,
    body: NewNote,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        add_note(session, exercise_id, body.text, position=body.position, now=context.clock(), by=principal.name)
        return json_response(exercise_view(session, exercise_id, principal))


@router.post(
    "/quality/calibration/{exercise_id}/close",
    summary="Close an exercise: answers are no longer taken, and its reviewers see the comparison",
    response_model=ExerciseView,
    responses=errors(404, 409),
)
def post_close(
    exercise_id: int, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        close_exercise(session, exercise_id, now=context.clock(), by=principal.name)
        return json_response(exercise_view(session, exercise_id, principal))
