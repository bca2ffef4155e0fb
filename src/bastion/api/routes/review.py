"""Review operations over REST: queues, claiming, job actions, decisions, appeals, reversals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.review import claims
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.decisions import Choice, decide
from bastion.review.enforcement import reverse
from bastion.review.queues import queue_listing
from bastion.review.views import job_view
from bastion.store.schema import Decision, Job, User

router = APIRouter(prefix="/api/v1", tags=["review"])
can_work = requires(Permission.REVIEW_WORK)
Text = Annotated[str, StringConstraints(max_length=5_000)]


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
    seconds_spent: float | None = Field(None, ge=0, le=86_400)


class ReasonBody(Body):
    reason: Text = ""


class NoteBody(Body):
    note: Text = ""


class ReassignBody(Body):
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AppealBody(Body):
    id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    action_id: int = Field(description="The enforcement action appealed, as sent in the webhook")
    text: Text | None = None
    created_at: datetime


@router.get("/queues", summary="The queues you may work, with what they hold")
def list_queues(principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Any:
    with context.database.transaction() as session:
        return jsonable_encoder(queue_listing(session, principal, now=context.clock()))


@router.post(
    "/queues/{name}/claim",
    summary="Lease the next job you may take; 204 when there is none",
    responses={204: {"description": "Nothing left in this queue for you"}},
)
def claim(name: str, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Any:
    now = context.clock()
    with context.database.transaction() as session:
        job = claims.claim_next_job(session, name, principal, now=now)
        if job is None:
            return Response(status_code=204)
        return jsonable_encoder(job_view(session, job, principal, now=now))


@router.get("/jobs/{job_id}", summary="A job with everything needed to decide it")
def get_job(job_id: int, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Any:
    now = context.clock()
    with context.database.transaction() as session:
        job = claims.visible_job(session, job_id, principal)
        audit_log.record(session, principal=principal.name, action="job.view", target=f"job:{job_id}", at=now)
        return jsonable_encoder(job_view(session, job, principal, now=now))


@router.post("/jobs/{job_id}/heartbeat", summary="Keep the lease on a job you are working on")
def heartbeat(job_id: int, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Any:
    with context.database.transaction() as session:
        return jsonable_encoder({"lease_expires_at": claims.heartbeat(session, job_id, principal, now=context.clock())})


@router.post("/jobs/{job_id}/decision", summary="Decide a job you hold")
def post_decision(
    job_id: int,
    body: DecisionBody,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Any:
    choice = Choice(body.policy, body.action, body.rationale, body.seconds_spent)
    with context.database.transaction() as session:
        outcome = decide(session, job_id, principal, choice, now=context.clock())
        return {
            "decision": outcome.decision.pk,
            "final": outcome.final,
            "needs": outcome.needs,
            "actions": [{"id": a.pk, "action": a.action, "policy": a.policy_id} for a in outcome.actions],
        }


@router.post("/jobs/{job_id}/release", summary="Give a job back to its queue")
def release(
    job_id: int,
    body: ReasonBody | None = None,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Any:
    with context.database.transaction() as session:
        job = claims.release(session, job_id, principal, now=context.clock(), reason=body.reason if body else "")
        return {"id": job.pk, "status": job.status}


@router.post("/jobs/{job_id}/skip", summary="Give a job back and never be offered it again")
def skip(
    job_id: int, body: ReasonBody, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Any:
    with context.database.transaction() as session:
        job = claims.skip(session, job_id, principal, now=context.clock(), reason=body.reason)
        return {"id": job.pk, "status": job.status}


@router.post("/jobs/{job_id}/escalate", summary="Send a job to the escalation queue with a note")
def escalate(
    job_id: int, body: NoteBody, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Any:
    with context.database.transaction() as session:
        job = claims.escalate(session, job_id, principal, now=context.clock(), note=body.note)
        return {"id": job.pk, "queue": job.queue, "status": job.status}


@router.post("/jobs/{job_id}/hold", summary="Park a job you hold until you release it")
def hold(
    job_id: int, body: NoteBody, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)
) -> Any:
    with context.database.transaction() as session:
        job = claims.hold(session, job_id, principal, now=context.clock(), note=body.note)
        return {"id": job.pk, "status": job.status}


@router.post("/jobs/{job_id}/resume", summary="Take back a job you put on hold")
def resume(job_id: int, principal: Principal = Depends(can_work), context: AppContext = Depends(app_context)) -> Any:
    with context.database.transaction() as session:
        job = claims.resume(session, job_id, principal, now=context.clock())
        return jsonable_encoder({"id": job.pk, "status": job.status, "lease_expires_at": job.lease_expires_at})


@router.post("/jobs/{job_id}/reassign", summary="Hand a job to a named reviewer")
def reassign(
    job_id: int,
    body: ReassignBody,
    principal: Principal = Depends(can_work),
    context: AppContext = Depends(app_context),
) -> Any:
    with context.database.transaction() as session:
        job = claims.reassign(session, job_id, principal, to_user=body.reviewer, now=context.clock())
        return {"id": job.pk, "status": job.status, "assigned_to": body.reviewer}


@router.post("/appeals", summary="The affected account appeals an enforcement action")
def post_appeal(
    body: AppealBody,
    principal: Principal = Depends(requires(Permission.APPEAL_FILE)),
    context: AppContext = Depends(app_context),
) -> Any:
    now = context.clock()
    request = AppealRequest(body.id, body.action_id, body.text, body.created_at)
    with context.database.transaction() as session:
        appeal, created = file_appeal(session, request, now=now, principal=principal.name)
        return {"id": appeal.external_id, "status": "created" if created else "duplicate", "job": appeal.job_pk}


@router.get("/decisions", summary="Decisions, newest first")
def list_decisions(
    principal: Principal = Depends(requires(Permission.DECISION_READ)),
    context: AppContext = Depends(app_context),
    queue: str | None = None,
    reviewer: str | None = None,
    policy: str | None = None,
    final: bool | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
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
        return jsonable_encoder(
            [
                {
                    "id": d.pk,
                    "job": d.job_pk,
                    "queue": q,
                    "kind": kind,
                    "reviewer": name,
                    "round": d.round,
                    "policy": d.policy_id,
                    "policy_version": d.policy_version,
                    "action": d.action,
                    "rationale": d.rationale,
                    "seconds_spent": d.seconds_spent,
                    "decided_at": d.decided_at,
                    "final": d.final,
                }
                for d, q, kind, name in session.execute(query)
            ]
        )


@router.post("/actions/{action_id}/restore", summary="Reverse an action without an appeal (admins)")
def restore_action(
    action_id: int,
    body: NoteBody,
    principal: Principal = Depends(requires(Permission.ENFORCEMENT_MANAGE)),
    context: AppContext = Depends(app_context),
) -> Any:
    now = context.clock()
    with context.database.transaction() as session:
        restore = reverse(
            session, action_id, reason="restored_without_appeal", note=body.note, now=now, principal=principal.name
        )
        audit_log.record(
            session, principal=principal.name, action="action.restore", target=f"action:{action_id}", at=now
        )
        return {"id": restore.pk, "action": restore.action, "reverses": action_id}
