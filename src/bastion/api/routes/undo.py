"""Taking a decision back within its undo window: the REST twin of the console's Undo (`review/undo.py`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.review.undo import undo_decision

router = api_router("review")


class UndoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release_job: int | None = Field(
        None, ge=1, le=2**63 - 1, description="A job you were handed after the decision, to give back to its queue"
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
    responses=errors(400, 404, 409),
)
def undo(
    decision_id: RowId,
    body: UndoBody | None = None,
    principal: Principal = Depends(requires(Permission.REVIEW_WORK)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        done = undo_decision(
            session, decision_id, principal, now=context.clock(), release_job=body.release_job if body else None
        )
        withdrawn = WithdrawnDecision(
            decision=done.decision_id,
            job=done.job_id,
            job_status=done.job_status,
            lease_expires_at=done.lease_expires_at,
            cancelled_actions=list(done.cancelled_actions),
            released_job=done.released_job_id,
        )
        return json_response(withdrawn)
