"""The entity graph over REST: an actor expanded N hops into the entities it shares with others (recorded in
the audit log, private values masked for those who may not manage investigations)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from bastion.api.contract import Shape, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.investigate import graph_view
from bastion.investigate.entity_graph import DEFAULT_HUB_SIZE, DEFAULT_MAX_NODES, MAX_HOPS, MAX_NODES

router = api_router("graph")
can_read = requires(Permission.INVESTIGATE_READ)


class GraphNodeBody(Shape):
    id: str = Field(description="`actor:<id>` or `<type>:<value>`; a masked value is `<type>:masked-<digest>`")
    kind: str = Field(description="`actor`, `ip`, `device`, `email_domain`, `phone`, `url`, `domain`, `payment`, …")
    value: str
    hop: int = Field(description="Edges from the subject")
    carriers: int | None = Field(None, description="For an entity: how many actors carry it (in the window)")
    hub: bool = Field(description="Carried by more than hub_size actors: shown, not expanded through")
    masked: bool = Field(description="The value comes from a private field and is hidden")


class GraphEdgeBody(Shape):
    source: str = Field(description="An actor node's id")
    target: str = Field(description="An entity node's id")
    kind: str
    first_at: datetime | None = Field(None, description="For an image or a text cluster: the first post")
    last_at: datetime | None = Field(None, description="… and the last, within the window")


class EntityGraphBody(Shape):
    subject: str
    hops: int
    kinds: list[str]
    since: datetime | None
    until: datetime | None
    max_nodes: int
    hub_size: int
    truncated: bool = Field(description="max_nodes was reached before every hop was followed")
    nodes: list[GraphNodeBody]
    edges: list[GraphEdgeBody]


@router.get(
    "/graph",
    summary="An actor's entity graph, N hops out (recorded in the audit log)",
    response_model=EntityGraphBody,
    responses=errors(404),
)
def get_graph(
    subject: str = Query(..., max_length=300, description="`actor:<platform id>`"),
    hops: int = Query(2, ge=1, le=MAX_HOPS, description="Edges to follow from the subject"),
    types: str | None = Query(None, max_length=300, description="Entity types to follow, comma-separated"),
    since: datetime | None = Query(None, description="Only posts from this time on (images, text clusters)"),
    until: datetime | None = Query(None, description="Only posts before this time"),
    max_nodes: int = Query(DEFAULT_MAX_NODES, ge=2, le=MAX_NODES, description="Stop at this many nodes"),
    hub_size: int = Query(DEFAULT_HUB_SIZE, ge=1, le=1_000_000, description="Entities with more carriers are hubs"),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    actor_id = graph_view.parse_subject(subject)
    limits = graph_view.graph_limits(
        hops=hops,
        kinds=graph_view.parse_kinds(types),
        since=since,
        until=until,
        max_nodes=max_nodes,
        hub_size=hub_size,
    )
    with context.database.transaction() as session:
        view = graph_view.entity_graph_view(session, principal, actor_id, limits, now=context.clock())
        return json_response(EntityGraphBody.model_validate(view, from_attributes=True))
