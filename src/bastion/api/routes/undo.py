"""Taking a decision back within its undo window: the REST twin of the console's Undo (`review/undo.py`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.review.undo import undo_decision

router = APIRouter(prefix="/api/v1", tags=["review"])


class UndoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release_job: int | None = Field(
        None, description="A job you were handed after the decision, to give back to its queue"
    )


class WithdrawnDecision(BaseModel):
    """The decision withdrawn, the job back with you (leased again), the enforcement actions cancelled."""

    decision: int
    job: int
    job_status: str = Field(description="claimed: the job is yours again, to decide afresh")
    lease_expires_at: datetime | None
    cancelled_actions: list[int] = Field(description="Enforcement actions cancelled before they were ever sent")
    released_job: int | None = Field(description="The job given back to its queue, when one was named")


@router.post(
    "/review/decisions/{decision_id}/undo",
    summary="Take back your decision within the undo window; its enforcement is never sent",
    response_model=WithdrawnDecision,
    responses={
        403: {"description": "The decision is someone else's"},
        404: {"description": "No such decision"},
        409: {"description": "Too late (the window closed), already taken back, or the job has moved on"},
    },
)
def undo(
    decision_id: int,
    body: UndoBody | None = None,
    principal: Principal = Depends(requires(Permission.REVIEW_WORK)),
    context: AppContext = Depends(app_context),
) -> WithdrawnDecision:
    with context.database.transaction() as session:
        done = undo_decision(
            session, decision_id, principal, now=context.clock(), release_job=body.release_job if body else None
        )
    return WithdrawnDecision(
        decision=done.decision_id,
        job=done.job_id,
        job_status=done.job_status,
        lease_expires_at=done.lease_expires_at,
        cancelled_actions=list(done.cancelled_actions),
        released_job=done.released_job_id,
    )
