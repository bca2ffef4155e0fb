"""Near-duplicate clusters over REST: the list, one cluster with a sample of its members, and one verdict
for all of them (a bulk decision from the cluster's preview)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.match.clusters import (
    MAX_PAGE,
    SAMPLE_SIZE,
    ClusterDetail,
    ClusterList,
    ClusterOrder,
    cluster_detail,
    decide_cluster,
    list_clusters,
)
from bastion.review.bulk import MAX_MEMBERS, BulkOutcome
from bastion.review.decisions import Choice

router = api_router("clusters")
# Clusters show content: those who oversee review may look; those who also review may decide for all.
can_read = requires(Permission.REVIEW_SUPERVISE, Permission.SUBJECT_READ)
can_decide = requires(Permission.REVIEW_SUPERVISE, Permission.REVIEW_WORK, Permission.SUBJECT_READ)


class BulkDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description='A policy id, or "none" for no violation'
    )
    action: Annotated[str, StringConstraints(max_length=32)] = Field(
        "no_action", description="An action the policy allows"
    )
    rationale: Annotated[str, StringConstraints(min_length=1, max_length=5_000)] = Field(
        description="Why every member gets this verdict (each decision records it, with a note of the bulk action)"
    )
    expected_members: int = Field(
        ge=2,
        le=MAX_MEMBERS,
        description="The cluster's size as previewed: a cluster that has grown since is refused (409)",
    )


@router.get(
    "/match/clusters",
    summary="Near-duplicate clusters, the largest or fastest-growing first",
    response_model=ClusterList,
)
def get_clusters(
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
    order: Annotated[
        ClusterOrder, Query(description="size, growth (posted in the last hour), burst (the busiest hour) or recent")
    ] = ClusterOrder.SIZE,
    min_size: Annotated[int, Query(ge=2, le=1_000_000)] = 2,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    with context.database.transaction() as session:
        found = list_clusters(session, now=context.clock(), order=order, min_size=min_size, limit=limit, offset=offset)
        return json_response(found)


@router.get(
    "/match/clusters/{cluster_id}",
    summary="A cluster, review's progress on it, and a sample of its newest members",
    response_model=ClusterDetail,
    responses=errors(404),
)
def get_cluster(
    cluster_id: RowId,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
    sample: Annotated[int, Query(ge=1, le=MAX_PAGE)] = SAMPLE_SIZE,
) -> Response:
    with context.database.transaction() as session:
        return json_response(cluster_detail(session, cluster_id, now=context.clock(), sample=sample))


@router.post(
    "/match/clusters/{cluster_id}/decision",
    summary="Decide every member of a cluster at once",
    response_model=BulkOutcome,
    responses=errors(400, 404, 409),
)
def post_cluster_decision(
    cluster_id: RowId,
    body: BulkDecisionBody,
    principal: Principal = Depends(can_decide),
    context: AppContext = Depends(app_context),
) -> Response:
    """Each member's open review job is decided with this verdict as its own decision (enforced, audited,
    open to appeal); a violating member nobody asked about gets a job opened and decided. Members already
    decided, or held by another reviewer, are skipped and listed. Recorded in the audit log as
    `cluster.decide`, besides each decision's `job.decide`. All or nothing."""
    choice = Choice(body.policy, body.action, body.rationale)
    with context.database.transaction() as session:
        outcome = decide_cluster(
            session, cluster_id, principal, choice, expected_members=body.expected_members, now=context.clock()
        )
        return json_response(outcome)
