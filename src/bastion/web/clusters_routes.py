"""Cluster pages: the largest and fastest-growing near-duplicate clusters, and one cluster with a sample
of its members and a form that decides them all (after a confirmation).

The pages call the same services as `/api/v1/match/clusters`; a refused decision is shown again with
its errors next to the form, and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.policy import Action
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.match.clusters import ClusterOrder, cluster_detail, decide_cluster, list_clusters
from bastion.policy.service import current_policies
from bastion.review.bulk import BulkOutcome
from bastion.review.decisions import NO_ACTION, NO_VIOLATION, Choice
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.REVIEW_SUPERVISE, Permission.SUBJECT_READ)
can_decide = requires(Permission.REVIEW_SUPERVISE, Permission.REVIEW_WORK, Permission.SUBJECT_READ)
PAGE = 100
SAMPLE = 25
ACTIONS = [a.value for a in Action if a not in (Action.ESCALATE, Action.RESTORE)]


def _may_decide(principal: Principal) -> bool:
    return all(principal.can(p) for p in (Permission.REVIEW_SUPERVISE, Permission.REVIEW_WORK))


@router.get("/match/clusters", response_class=HTMLResponse)
def clusters_page(
    request: Request,
    order: Annotated[ClusterOrder, Query()] = ClusterOrder.SIZE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        found = list_clusters(session, now=context.clock(), order=order, limit=PAGE, offset=offset)
    values: dict[str, Any] = {
        "title": "Near-duplicate clusters",
        "found": found,
        "orders": list(ClusterOrder),
        "offset": offset,
        "page_size": PAGE,
    }
    return render_page(request, "clusters.html", values)


@router.get("/match/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    cluster_id: RowId,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _cluster_page(request, context, principal, cluster_id)


def _cluster_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    cluster_id: int,
    *,
    form: dict[str, Any] | None = None,
    error: InvalidInput | Conflict | None = None,
    outcome: BulkOutcome | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        detail = cluster_detail(session, cluster_id, now=context.clock(), sample=SAMPLE)
        policies = sorted(current_policies(session)) if _may_decide(principal) else []
    values: dict[str, Any] = {
        "title": f"Cluster {cluster_id}",
        "detail": detail,
        "may_decide": _may_decide(principal),
        "policies": [NO_VIOLATION, *policies],
        "actions": [NO_ACTION, *ACTIONS],
        "form": form or {},
        "error": error,
        "errors": error.errors if isinstance(error, InvalidInput) else [],
        "outcome": outcome,
    }
    return render_page(request, "cluster.html", values, status_code=status_code)


@router.post("/match/clusters/{cluster_id}/decision", response_class=HTMLResponse)
def cluster_decision_submit(
    request: Request,
    cluster_id: RowId,
    policy: Annotated[str, Form(max_length=128)] = "",
    action: Annotated[str, Form(max_length=32)] = NO_ACTION,
    rationale: Annotated[str, Form(max_length=5_000)] = "",
    expected_members: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    confirm: Annotated[bool, Form()] = False,
    principal: Principal = Depends(can_decide),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {"policy": policy, "action": action, "rationale": rationale}
    try:
        if not confirm:
            raise InvalidInput(
                "confirm the bulk decision",
                [FieldError("confirm", f"tick the box to decide all {expected_members:,} members at once")],
            )
        with context.database.transaction() as session:
            outcome = decide_cluster(
                session,
                cluster_id,
                principal,
                Choice(policy.strip(), action.strip() or NO_ACTION, rationale),
                expected_members=expected_members,
                now=context.clock(),
            )
    except (InvalidInput, Conflict) as error:
        return _cluster_page(
            request, context, principal, cluster_id, form=form, error=error, status_code=error.http_status
        )
    return _cluster_page(request, context, principal, cluster_id, outcome=outcome)
