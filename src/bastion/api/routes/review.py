"""Review operations over REST: queues, claiming, job actions, decisions, appeals, reversals.

Each answer is written inside the service's transaction (`json_response`): if it cannot be written, the
claim, decision or appeal behind it is rolled back and the caller is told that nothing was changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from bastion.api.contract import (
    ActionTaken,
    AppealFiled,
    DecisionRecord,
    DecisionResult,
    Escalated,
    JobState,
    JobView,
    Lease,
    QueueSummary,
    Reassigned,
    Restored,
    Resumed,
    api_router,
    errors,
    json_response,
)
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.ingest.payloads import Count, Moment
from bastion.review import claims
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.decisions import Choice, decide
from bastion.review.enforcement import restore_without_appeal
from bastion.review.queues import queue_listing
from bastion.review.views import job_view
from bastion.store.schema import Decision, Job, User

router = api_router("review")
can_work = requires(Permission.REVIEW_WORK)
Text = Annotated[str, StringConstraints(max_length=5_000)]
JOB_ERRORS = errors(400, 404, 409)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionBody(Body):
    policy: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description='A policy id, or "none" for no violation'
    )
    action: Annotated[str, StringConstraints(max_length=32)] = Field(
        "no_action", description="An action the policy allows; for appeal jobs, uphold or overturn"
    )
    rationale: Text = ""
    seconds_spent: float | None = Field(None, ge=0, le=86_400, allow_inf_nan=False)


class ReasonBody(Body):
    reason: Text = ""


class NoteBody(Body):
    note: Text = ""


class ReassignBody(Body):
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AppealBody(Body):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    action_id: Count = Field(description="The enforcement action appealed, as sent in the webhook")
    text: Text | None = None
    created_at: Moment


@router.get("/queues", summary="The queues you may work, with what they hold", response_model=list[QueueSummary])
def list_queues(principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        listing = [QueueSummary.model_validate(q) for q in queue_listing(session, principal, now=context.clock())]
        return json_response(listing, list[QueueSummary])


@router.post(
    "/queues/{name}/claim",
    summary="Lease the next job you may take; 204 when there is none",
    response_model=JobView,
    responses={204: {"description": "Nothing left in this queue for you"}, **errors(400, 404)},
)
def claim(
    name: Annotated[str, StringConstraints(max_length=64)],
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        job = claims.claim_next_job(session, name, principal, now=now)
        if job is None:
            return Response(status_code=204)
        return json_response(JobView.model_validate(job_view(session, job, principal, now=now)))


@router.get(
    "/jobs/{job_id}", summary="A job with everything needed to decide it", response_model=JobView, responses=errors(404)
)
def get_job(
    job_id: RowId, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        job = claims.visible_job(session, job_id, principal)
        return json_response(JobView.model_validate(job_view(session, job, principal, now=now)))


@router.post(
    "/jobs/{job_id}/heartbeat",
    summary="Keep the lease on a job you are working on",
    response_model=Lease,
    responses=JOB_ERRORS,
)
def heartbeat(
    job_id: RowId, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        expires = claims.heartbeat(session, job_id, principal, now=context.clock())
        return json_response(Lease(lease_expires_at=expires))


@router.post(
    "/jobs/{job_id}/decision", summary="Decide a job you hold", response_model=DecisionResult, responses=JOB_ERRORS
)
def post_decision(
    job_id: RowId,
    body: DecisionBody,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    choice = Choice(body.policy, body.action, body.rationale, body.seconds_spent)
    with context.database.transaction() as session:
        outcome = decide(session, job_id, principal, choice, now=context.clock())
        result = DecisionResult(
            decision=outcome.decision.pk,
            final=outcome.final,
            needs=outcome.needs,
            actions=[ActionTaken(id=a.pk, action=a.action, policy=a.policy_id) for a in outcome.actions],
        )
        return json_response(result)


@router.post(
    "/jobs/{job_id}/release", summary="Give a job back to its queue", response_model=JobState, responses=JOB_ERRORS
)
def release(
    job_id: RowId,
    body: ReasonBody | None = None,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        job = claims.release(session, job_id, principal, now=context.clock(), reason=body.reason if body else "")
        return json_response(_state(job))


@router.post(
    "/jobs/{job_id}/skip",
    summary="Give a job back and never be offered it again",
    response_model=JobState,
    responses=JOB_ERRORS,
)
def skip(
    job_id: RowId,
    body: ReasonBody,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        job = claims.skip(session, job_id, principal, now=context.clock(), reason=body.reason)
        return json_response(_state(job))


@router.post(
    "/jobs/{job_id}/escalate",
    summary="Send a job to the escalation queue with a note",
    response_model=Escalated,
    responses=JOB_ERRORS,
)
def escalate(
    job_id: RowId, body: NoteBody, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        job = claims.escalate(session, job_id, principal, now=context.clock(), note=body.note)
        return json_response(Escalated.model_validate({"id": job.pk, "queue": job.queue, "status": job.status}))


@router.post(
    "/jobs/{job_id}/hold",
    summary="Park a job you hold until you release it",
    response_model=JobState,
    responses=JOB_ERRORS,
)
def hold(
    job_id: RowId, body: NoteBody, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        job = claims.hold(session, job_id, principal, now=context.clock(), note=body.note)
        return json_response(_state(job))


@router.post(
    "/jobs/{job_id}/resume", summary="Take back a job you put on hold", response_model=Resumed, responses=JOB_ERRORS
)
def resume(
    job_id: RowId, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        job = claims.resume(session, job_id, principal, now=context.clock())
        resumed = {"id": job.pk, "status": job.status, "lease_expires_at": job.lease_expires_at}
        return json_response(Resumed.model_validate(resumed))


@router.post(
    "/jobs/{job_id}/reassign", summary="Hand a job to a named reviewer", response_model=Reassigned, responses=JOB_ERRORS
)
def reassign(
    job_id: RowId,
    body: ReassignBody,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        job = claims.reassign(session, job_id, principal, to_user=body.reviewer, now=context.clock())
        reassigned = {"id": job.pk, "status": job.status, "assigned_to": body.reviewer}
        return json_response(Reassigned.model_validate(reassigned))


def _state(job: Job) -> JobState:
    return JobState.model_validate({"id": job.pk, "status": job.status})


@router.post(
    "/appeals",
    summary="The affected account appeals an enforcement action",
    response_model=AppealFiled,
    responses=errors(400, 409),
)
def post_appeal(
    body: AppealBody,
    principal: Principal = Depends(requires(Permission.APPEAL_FILE)),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    request = AppealRequest(body.id, body.action_id, body.text, body.created_at)
    with context.database.transaction() as session:
        appeal, created = file_appeal(session, request, now=now, principal=principal.name)
        filed = {"id": appeal.external_id, "status": "created" if created else "duplicate", "job": appeal.job_pk}
        return json_response(AppealFiled.model_validate(filed))


@router.get("/decisions", summary="Decisions, newest first", response_model=list[DecisionRecord])
def list_decisions(
    principal: Principal = Depends(requires(Permission.DECISION_READ)),
    context: AppContext = Depends(app_context),
    queue: str | None = Query(None, max_length=64),
    reviewer: str | None = Query(None, max_length=64),
    policy: str | None = Query(None, max_length=128),
    final: bool | None = None,
    include_withdrawn: bool = Query(False, description="Also list decisions taken back within the undo window"),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    with context.database.transaction() as session:
        query = (
            select(Decision, Job.queue, Job.kind, User.name)
            .join(Job, Job.pk == Decision.job_pk)
            .join(User, User.pk == Decision.reviewer_pk)
            .order_by(Decision.pk.desc())
            .limit(limit)
        )
        if queue:
            query = query.where(Job.queue == queue)
        if reviewer:
            query = query.where(User.name == reviewer)
        if policy:
            query = query.where(Decision.policy_id == policy)
        if final is not None:
            query = query.where(Decision.final.is_(final))
        if not include_withdrawn:
            query = query.where(Decision.withdrawn_at.is_(None))
        records = [
            DecisionRecord(
                id=d.pk,
                job=d.job_pk,
                queue=q,
                kind=kind,
                reviewer=name,
                round=d.round,
                policy=d.policy_id,
                policy_version=d.policy_version,
                action=d.action,
                rationale=d.rationale,
                seconds_spent=d.seconds_spent,
                decided_at=as_utc(d.decided_at),
                final=d.final,
                withdrawn_at=as_utc(d.withdrawn_at) if d.withdrawn_at else None,
            )
            for d, q, kind, name in session.execute(query)
        ]
        return json_response(records, list[DecisionRecord])


@router.post(
    "/actions/{action_id}/restore",
    summary="Reverse an action without an appeal (admins)",
    response_model=Restored,
    responses=errors(400, 404, 409),
)
def restore_action(
    action_id: RowId,
    body: NoteBody,
    principal: Principal = Depends(requires(Permission.ENFORCEMENT_MANAGE)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        restore = restore_without_appeal(
            session, action_id, note=body.note, now=context.clock(), principal=principal.name
        )
        return json_response(
            Restored.model_validate({"id": restore.pk, "action": restore.action, "reverses": action_id})
        )
